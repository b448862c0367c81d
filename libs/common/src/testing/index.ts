import { Clock } from '../clock/clock';

/** Test helpers of libs/common (imported as `@app/common/testing`, tests only). */

/** A Clock the test moves by hand: set `at` to travel. */
export class ManualClock extends Clock {
  constructor(public at: Date) {
    super();
  }

  now(): Date {
    return new Date(this.at);
  }
}
