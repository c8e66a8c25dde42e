export * from "./auroc.js";
export * from "./calibrate.js";
export * from "./presets.js";
export * from "./scores.js";
