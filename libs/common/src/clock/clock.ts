/** Where every piece of Portico reads the time, so tests (and test-mode clocks) can move it. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
