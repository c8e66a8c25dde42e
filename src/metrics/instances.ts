/**
 * GSM-Symbolic-style figures of a run made with `--instances K`: the K instance sets of each
 * answer-changing probe kind, the greedy accuracy of each set, their mean and spread beside the
 * originals' accuracy, and each problem's accuracy over its own instances. Greedy completions only,
 * like the drop.
 *
 * The sets are taken over the problems that have all K instances, and the originals' accuracy over
 * the same problems: a set j that held only the problems with a j-th instance would compare
 * different problems from set to set (a problem that allows few changes is often an easier or a
 * harder one), and its spread would mix number variance with a change of problems. The problems
 * with fewer than K are reported apart (`shortProblems`).
 */

/** One greedy completion of an instance: which problem, probe, kind and instance, and whether right. */
export interface InstanceOutcome {
  problemId: string;
  probe: string;
  kind: string;
  instance: number;
  correct: boolean;
}

/** The accuracy of one instance set: the j-th instances of every problem that has all K. */
export interface InstanceSetAccuracy {
  instance: number;
  problems: number;
  correct: number;
  accuracy: number;
}

/** The distribution of one probe kind's K set accuracies. */
export interface InstanceDistribution {
  probe: string;
  kind: string;
  /** K, as asked for. */
  requested: number;
  /** Problems with at least one instance of this kind. */
  problems: number;
  /** Of those, problems with all K instances: every set is over exactly these. */
  full: number;
  /** Of those, problems with fewer than K (the problem does not allow K distinct sensible ones). */
  short: number;
  /** K sets over the `full` problems; none when no problem has all K. */
  sets: InstanceSetAccuracy[];
  /**
   * Mean, sample standard deviation (null for one set), least and greatest of the set accuracies;
   * null when there are no sets.
   */
  mean: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
  /** The originals' greedy accuracy over the same (`full`) problems. */
  original: OriginalAccuracy;
  /**
   * The problems with fewer than K instances, apart: their instances pooled (accuracy null when
   * there are none), and their originals' accuracy.
   */
  shortProblems: {
    problems: number;
    instances: number;
    correct: number;
    accuracy: number | null;
    original: OriginalAccuracy;
  };
}

export interface OriginalAccuracy {
  /** Problems whose original has a greedy completion. */
  problems: number;
  correct: number;
  /** 0 when there are no such problems. */
  accuracy: number;
}

/** One problem's accuracy over its instances of one probe kind. */
export interface ProblemInstanceAccuracy {
  problemId: string;
  probe: string;
  kind: string;
  instances: number;
  correct: number;
  accuracy: number;
}

export interface InstancesSummary {
  requested: number;
  distributions: InstanceDistribution[];
  problems: ProblemInstanceAccuracy[];
}

/**
 * Summarises instance outcomes. `originals` maps a problem id to whether its original's greedy
 * completion was right; `order` gives the problems' order and `probes` the probes' (run order).
 * Kinds are kept apart: a two-quantity instance is harder than a one-quantity one, and a set mixing
 * them in varying shares would spread for that reason alone.
 */
export function summarizeInstances(
  outcomes: readonly InstanceOutcome[],
  originals: ReadonlyMap<string, boolean>,
  requested: number,
  order: { problems: readonly string[]; probes: readonly string[] },
): InstancesSummary {
  const problemRank = new Map(order.problems.map((id, i) => [id, i]));
  const probeRank = (p: string) => order.probes.indexOf(p);
  const groups = new Map<string, InstanceOutcome[]>();
  for (const o of outcomes) {
    const key = `${o.probe}\u0000${o.kind}`;
    const list = groups.get(key) ?? [];
    list.push(o);
    groups.set(key, list);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [pa, ka] = a.split("\u0000") as [string, string];
    const [pb, kb] = b.split("\u0000") as [string, string];
    return probeRank(pa) - probeRank(pb) || (ka < kb ? -1 : ka > kb ? 1 : 0);
  });
  const distributions: InstanceDistribution[] = [];
  const problems: ProblemInstanceAccuracy[] = [];
  for (const key of keys) {
    const list = groups.get(key) as InstanceOutcome[];
    const { probe, kind } = list[0] as InstanceOutcome;
    const byProblem = new Map<string, { instances: number; correct: number }>();
    for (const o of list) {
      const p = byProblem.get(o.problemId) ?? { instances: 0, correct: 0 };
      p.instances++;
      if (o.correct) p.correct++;
      byProblem.set(o.problemId, p);
    }
    const full = new Set([...byProblem].filter(([, p]) => p.instances >= requested).map(([id]) => id));
    const bySet = new Map<number, { problems: number; correct: number }>();
    for (const o of list) {
      if (!full.has(o.problemId)) continue;
      const set = bySet.get(o.instance) ?? { problems: 0, correct: 0 };
      set.problems++;
      if (o.correct) set.correct++;
      bySet.set(o.instance, set);
    }
    const sets = [...bySet.entries()]
      .sort(([a], [b]) => a - b)
      .map(([instance, s]) => ({ instance, ...s, accuracy: s.correct / s.problems }));
    const accuracies = sets.map((s) => s.accuracy);
    const mean = accuracies.length === 0 ? null : accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
    const sd =
      mean === null || accuracies.length < 2
        ? null
        : Math.sqrt(accuracies.reduce((a, x) => a + (x - mean) ** 2, 0) / (accuracies.length - 1));
    const shortIds = [...byProblem.keys()].filter((id) => !full.has(id));
    const shortInstances = shortIds.reduce((n, id) => n + (byProblem.get(id)?.instances ?? 0), 0);
    const shortCorrect = shortIds.reduce((n, id) => n + (byProblem.get(id)?.correct ?? 0), 0);
    distributions.push({
      probe,
      kind,
      requested,
      problems: byProblem.size,
      full: full.size,
      short: shortIds.length,
      sets,
      mean,
      sd,
      min: accuracies.length === 0 ? null : Math.min(...accuracies),
      max: accuracies.length === 0 ? null : Math.max(...accuracies),
      original: originalAccuracy(full, originals),
      shortProblems: {
        problems: shortIds.length,
        instances: shortInstances,
        correct: shortCorrect,
        accuracy: shortInstances === 0 ? null : shortCorrect / shortInstances,
        original: originalAccuracy(shortIds, originals),
      },
    });
    for (const [problemId, p] of byProblem)
      problems.push({ problemId, probe, kind, ...p, accuracy: p.correct / p.instances });
  }
  problems.sort(
    (a, b) =>
      (problemRank.get(a.problemId) ?? 0) - (problemRank.get(b.problemId) ?? 0) ||
      probeRank(a.probe) - probeRank(b.probe) ||
      (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0),
  );
  return { requested, distributions, problems };
}

/** The originals' greedy accuracy over some problems (those without a greedy completion left out). */
function originalAccuracy(ids: Iterable<string>, originals: ReadonlyMap<string, boolean>): OriginalAccuracy {
  let problems = 0;
  let correct = 0;
  for (const id of ids) {
    const right = originals.get(id);
    if (right === undefined) continue;
    problems++;
    if (right) correct++;
  }
  return { problems, correct, accuracy: problems === 0 ? 0 : correct / problems };
}

/** The K a run asked for: the largest `instances` parameter of its probes (1 when none). */
export function requestedInstances(probeParams: Readonly<Record<string, Record<string, unknown>>>): number {
  return Math.max(1, ...Object.values(probeParams).map((p) => Number(p["instances"] ?? 1)));
}
