import { Deadlines } from '../../lib/kratos/deadline';

const aborted = (deadline: { abort: (() => void) | undefined }) =>
  new Promise<void>((resolve) => {
    deadline.abort = resolve;
  });

describe('Deadlines', () => {
  it('aborts an unfinished piece of work once its deadline passes, and marks it expired', async () => {
    const deadlines = new Deadlines(30);
    const deadline = deadlines.start();
    await aborted(deadline);
    expect(deadline.expired).toBe(true);
    deadlines.finish(deadline);
    expect(deadline.expired).toBe(true);
  });

  it('never aborts work that finished in time', async () => {
    const deadlines = new Deadlines(30);
    const finished = deadlines.start();
    let abortedFinished = false;
    finished.abort = () => {
      abortedFinished = true;
    };
    deadlines.finish(finished);
    const later = deadlines.start();
    await aborted(later);
    expect(abortedFinished).toBe(false);
    expect(finished.expired).toBe(false);
    expect(later.expired).toBe(true);
  });

  it('expires each unfinished deadline in turn while others finish around them', async () => {
    const deadlines = new Deadlines(40);
    const started = Array.from({ length: 300 }, () => deadlines.start());
    const kept = started.filter((_, i) => i % 100 === 7);
    for (const deadline of started) if (!kept.includes(deadline)) deadlines.finish(deadline);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const newer = deadlines.start();
    await Promise.all([...kept, newer].map(aborted));
    expect([...kept, newer].every((deadline) => deadline.expired)).toBe(true);
    expect(started.filter((deadline) => deadline.expired)).toHaveLength(kept.length);
  });
});
