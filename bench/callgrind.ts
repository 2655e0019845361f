// Reading a callgrind profile (one thread's file): its instructions, and of them those spent in V8's
// collector and compilers (bench/instructions.ts).

export interface InstructionSplit {
  readonly total: number;
  readonly compile: number;
  readonly gc: number;
}

// V8's collector and compilers, by the names of their C++ entry points in node's symbols.
const GC = /v8::internal::(Heap::|Scaveng|MarkCompact|MinorMarkCompact|IncrementalMarking|ConcurrentMarking|Sweeper|heap::|MemoryAllocator|Evacuat|GlobalHandles::PostGarbage|ArrayBufferSweeper)/;
const COMPILER = /v8::internal::(compiler::|Compiler::|maglev::|interpreter::|baseline::|Parser|PreParser|OptimizingCompileDispatcher|BytecodeGenerator)/;

/**
 * The thread's instructions, and of them those spent inside the collector and the compilers: the
 * inclusive cost of every call into them from elsewhere (callgrind's format: `fn=` the current
 * function, `cfn=` and `calls=` a call whose next cost line is its inclusive cost). Their helpers
 * (memcpy, object iterators) count with them, which a split by function names would miss.
 */
export function splitInstructions(profile: string): InstructionSplit {
  const names = new Map<string, string>();
  const nameOf = (token: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(token);
    if (!m) return token;
    if (m[2] !== undefined) names.set(m[1]!, m[2]);
    return names.get(m[1]!) ?? '';
  };
  let total = 0;
  let gc = 0;
  let compile = 0;
  let current = '';
  let callee = '';
  let callCostNext = false;
  for (const line of profile.split('\n')) {
    if (line.startsWith('fn=')) current = nameOf(line.slice(3));
    else if (line.startsWith('cfn=')) callee = nameOf(line.slice(4));
    else if (line.startsWith('calls=')) callCostNext = true;
    else if (/^[\d+*-]/.test(line)) {
      const cost = Number(line.split(' ')[1] ?? 0);
      if (!callCostNext) {
        total += cost;
        continue;
      }
      callCostNext = false;
      const inside = GC.test(current) || COMPILER.test(current);
      if (!inside && GC.test(callee)) gc += cost;
      else if (!inside && COMPILER.test(callee)) compile += cost;
    }
  }
  return { total, compile, gc };
}
