/** Prompt formats: built-ins as data, user templates from files, rendering with exemplar exclusion. */
export { BUILTIN_FORMATS, CODE, COT_8SHOT, GSM8K_5SHOT, QA } from "./builtin.js";
export {
  EXEMPLAR_PLACEHOLDERS,
  type PromptFormat,
  preparePromptFormat,
  questionWrapper,
  renderPrompt,
  selectExemplars,
  TEMPLATE_PLACEHOLDERS,
  wrapperOfSpec,
} from "./format.js";
export {
  loadFormatSpec,
  loadTemplateFile,
  type ResolveFormatOptions,
  resolvePromptFormat,
  specFromJson,
} from "./load.js";
export { fillTemplate, type ParsedTemplate, parseTemplate, type Segment } from "./template.js";
