// Who may use the engine's active model. Inspect and the webcam score through it; teaching false alarms borrows it to
// score with other banks (it loads them in turn), so scoring waits while it is borrowed, and a borrow starts only once
// the images already being scored are done. Without this a scored image could meet the wrong bank.

let borrowed: Promise<void> | null = null;
let scoring = 0;
let idle: (() => void)[] = [];

/** Runs one scoring request against the active model, after any borrow has ended. */
export async function whileScoring<T>(fn: () => Promise<T>): Promise<T> {
  while (borrowed) await borrowed;
  scoring++;
  try {
    return await fn();
  } finally {
    if (--scoring === 0) {
      for (const f of idle) f();
      idle = [];
    }
  }
}

/** Runs `fn` with the engine to itself: no scoring starts meanwhile, and it starts once none is in flight. */
export async function borrowEngine<T>(fn: () => Promise<T>): Promise<T> {
  while (borrowed) await borrowed;
  let release!: () => void;
  borrowed = new Promise<void>((r) => (release = r));
  try {
    if (scoring > 0) await new Promise<void>((r) => idle.push(r));
    return await fn();
  } finally {
    borrowed = null;
    release();
  }
}
