/**
 * What a running program may ask of the JavaScript host: the interpreter is WebAssembly, and the
 * only way out of it is a call to one of its imports. Every import is wrapped when the interpreter
 * is instantiated; while a program runs, a call to an import that is not listed here is refused
 * (the program stops, the executor process is discarded). Listed imports are the host functions
 * plain Python needs: indirect calls inside the interpreter, reading the in-memory stdlib, the
 * clock, entropy (made deterministic), stdout/stderr, and growing memory (capped). Everything that
 * reaches JavaScript objects (the `js`/`pyodide_js` bridge, EM_ASM, ctypes' libffi, dlopen,
 * sockets) is absent, so no program can reach the executor's JavaScript, whatever names it finds.
 *
 * Kept as data: the executor applies these rules, tests read them.
 */

/** How a listed import is treated while a program runs. */
export type HostCallRule =
  /** Called as it is. */
  | "allow"
  /** Opens files for reading only; any write, create or truncate flag gets EPERM. */
  | "open-read-only"
  /** Writes only to fd 1 and 2 (captured, capped); other fds get EPERM. */
  | "write-stdio"
  /** Grows the interpreter's memory up to the cap; past it, fails (MemoryError). */
  | "grow-capped"
  /** Fills the buffer from a per-program deterministic generator. */
  | "entropy"
  /** Refused with EPERM: the call changes host state a later program could see. */
  | "eperm";

export const HOST_CALLS: Readonly<Record<string, HostCallRule>> = {
  // The interpreter's indirect calls go through the host (Python's C calling convention).
  _PyEM_TrampolineCall_JS: "allow",
  _Py_CheckEmscriptenSignals_Helper: "allow",
  // Reading the in-memory file system (the stdlib zip, the program file).
  __syscall_openat: "open-read-only",
  fd_read: "allow",
  fd_pread: "allow",
  fd_seek: "allow",
  fd_close: "allow",
  fd_fdstat_get: "allow",
  __syscall_fstat64: "allow",
  __syscall_stat64: "allow",
  __syscall_lstat64: "allow",
  __syscall_newfstatat: "allow",
  __syscall_getcwd: "allow",
  __syscall_getdents64: "allow",
  __syscall_faccessat: "allow",
  __syscall_readlinkat: "allow",
  __syscall_fcntl64: "allow",
  __syscall_ioctl: "allow",
  __syscall_statfs64: "allow",
  __syscall_fstatfs64: "allow",
  __syscall_getuid32_js: "allow",
  __syscall_umask_js: "allow",
  // Output.
  fd_write: "write-stdio",
  fd_sync: "allow",
  // Time.
  clock_time_get: "allow",
  clock_res_get: "allow",
  emscripten_get_now: "allow",
  emscripten_date_now: "allow",
  _tzset_js: "allow",
  _localtime_js: "allow",
  _gmtime_js: "allow",
  _mktime_js: "allow",
  _timegm_js: "allow",
  // Environment (the interpreter's own, empty of the host's).
  environ_sizes_get: "allow",
  environ_get: "allow",
  _emscripten_get_progname: "allow",
  // Memory.
  emscripten_resize_heap: "grow-capped",
  emscripten_get_heap_max: "allow",
  // Entropy.
  random_get: "entropy",
  // Failing loudly is fine: these end the program, not the sandbox.
  __assert_fail: "allow",
  _abort_js: "allow",
  // File-system changes a later program could see: refused.
  __syscall_mkdirat: "eperm",
  __syscall_unlinkat: "eperm",
  __syscall_rmdir: "eperm",
  __syscall_renameat: "eperm",
  __syscall_symlinkat: "eperm",
  __syscall_chmod: "eperm",
  __syscall_fchmod: "eperm",
  __syscall_fchmodat2: "eperm",
  __syscall_fchown32: "eperm",
  __syscall_fchownat: "eperm",
  __syscall_truncate64: "eperm",
  __syscall_ftruncate64: "eperm",
  __syscall_utimensat: "eperm",
  __syscall_mknodat: "eperm",
  __syscall_chdir: "eperm",
  __syscall_fchdir: "eperm",
  __syscall_dup: "eperm",
  __syscall_dup3: "eperm",
  __syscall_pipe: "eperm",
  __syscall_fallocate: "eperm",
  fd_pwrite: "eperm",
};

/** Emscripten's errno for EPERM (musl numbering as Emscripten ships it). */
export const EPERM = 63;

/** Open flags that write, create or truncate (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND). */
export const WRITE_OPEN_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000;
