import { readFileSync, readdirSync } from 'node:fs';

/** Every descendant of `root` (and root), from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // process ended while we looked
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Proportional set size of a process tree in bytes (RSS would count shared pages once per process). */
export function treePss(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

/**
 * Private memory of a process tree in bytes (Private_Clean + Private_Dirty): unlike PSS it does not
 * move when another browser that shares pages with this one starts or exits, so a test running
 * beside other tests can compare it before and after.
 */
export function treePrivate(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      for (const m of text.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

/** Samples a tree's PSS every `ms` until stopped; returns the peak, and each process kind's PSS at that moment. */
export function pssSampler(root: number, ms = 200): { stop(): number; peakByKind(): Record<string, number> } {
  let peak = treePss(root);
  let byKind = pssByKind(root);
  const t = setInterval(() => {
    const now = treePss(root);
    if (now > peak) {
      peak = now;
      byKind = pssByKind(root);
    }
  }, ms);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, treePss(root));
    },
    peakByKind: () => byKind,
  };
}

/** PSS per Chromium process kind (browser, renderer, gpu-process, utility...), for diagnosis. */
export function pssByKind(root: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of processTree(root)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const kind = /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'browser';
      const sub = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1];
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      const key = sub ? `${kind}:${sub.split('.').pop()}` : kind;
      if (m) out[key] = (out[key] ?? 0) + Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return out;
}
