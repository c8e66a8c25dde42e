/**
 * PNG charts rendered in Node with chartjs-node-canvas, from the same chart definitions as the
 * HTML page (charts.ts), for summary.md and CI artifacts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChartConfiguration } from "chart.js";
import { ChartJSNodeCanvas } from "chartjs-node-canvas";
import { type ChartSpec, errorBarsPlugin } from "./charts.js";

export interface PngOptions {
  width?: number;
  height?: number;
}

/** The PNG variant of a chart: titled, fixed-size, on a white background. */
export function pngConfig(spec: ChartSpec): ChartConfiguration {
  const config = structuredClone(spec.config) as unknown as {
    options: Record<string, unknown> & { plugins?: Record<string, unknown> };
  };
  config.options.responsive = false;
  config.options.animation = false;
  config.options.plugins = {
    ...(config.options.plugins ?? {}),
    title: { display: true, text: spec.title, font: { size: 15 } },
  };
  return config as unknown as ChartConfiguration;
}

let canvases = new Map<string, ChartJSNodeCanvas>();

function canvasOf(width: number, height: number): ChartJSNodeCanvas {
  const key = `${width}x${height}`;
  let c = canvases.get(key);
  if (!c) {
    c = new ChartJSNodeCanvas({
      width,
      height,
      backgroundColour: "white",
      plugins: { modern: [errorBarsPlugin as never] },
    });
    canvases.set(key, c);
  }
  return c;
}

/** Renders one chart to PNG bytes. */
export async function renderPng(spec: ChartSpec, options: PngOptions = {}): Promise<Buffer> {
  return canvasOf(options.width ?? 800, options.height ?? 400).renderToBuffer(pngConfig(spec), "image/png");
}

/** Writes `<dir>/<chart id>.png` for every chart; returns the file names written, in order. */
export async function writePngs(
  dir: string,
  specs: readonly ChartSpec[],
  options: PngOptions = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const spec of specs) {
    const name = `${spec.id}.png`;
    await writeFile(join(dir, name), await renderPng(spec, options));
    names.push(name);
  }
  return names;
}

/** Drops cached canvases (tests). */
export function resetPngCanvases(): void {
  canvases = new Map();
}
