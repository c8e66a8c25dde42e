/** The run store: an interface, a SQLite implementation (WAL) and an in-memory one for tests. */
export { canonicalJson, configDifferences } from "./checks.js";
export { MemoryRunStore } from "./memory.js";
export { RUN_DB_FILE, SCHEMA_VERSION, SqliteRunStore } from "./sqlite.js";
export type { BeginResult, RunStore } from "./types.js";
