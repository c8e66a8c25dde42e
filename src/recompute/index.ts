export { type AlignedQuantity, alignQuantities } from "./align.js";
export { type RecomputeResult, recomputeEdited } from "./recompute.js";
