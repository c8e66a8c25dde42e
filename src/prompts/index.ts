/** Prompt formats: built-ins as data, user templates from files, rendering with exemplar exclusion. */
export { BUILTIN_FORMATS, CODE, COT_8SHOT, GSM8K_5SHOT, QA } from "./builtin.js";
export {
  CHAT_SYSTEM,
  chatSystemOf,
  chatTranscript,
  DEFAULT_CHAT_SYSTEM,
  type RenderedChat,
  renderChat,
} from "./chat.js";
export {
  type ChatTemplate,
  type ChatTemplateChoice,
  compileChatTemplate,
  loadChatTemplate,
  modelChatTemplate,
  parseChatTemplateChoice,
} from "./chat-template.js";
export {
  CODE_CHAT_SYSTEM,
  codeChatStops,
  DEFINES_SOLUTION,
  SOLUTION_HEADER,
  STOPS_CUTTING_A_FENCED_REPLY,
} from "./code-chat.js";
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
export { chatSettingsOf, type PromptStyle, renderPromptAs } from "./style.js";
export { fillTemplate, type ParsedTemplate, parseTemplate, type Segment } from "./template.js";
