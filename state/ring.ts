/**
 * A growable ring-buffer deque of (time, value) pairs in two Float64Arrays: O(1) push/pop at both
 * ends, no per-element allocation. The building block of every rolling window.
 */
export class Deque {
  private t: Float64Array;
  private v: Float64Array;
  private head = 0;
  private mask: number;
  length = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.t = new Float64Array(cap);
    this.v = new Float64Array(cap);
    this.mask = cap - 1;
  }

  push(t: number, v: number): void {
    if (this.length > this.mask) this.grow();
    const i = (this.head + this.length) & this.mask;
    this.t[i] = t;
    this.v[i] = v;
    this.length++;
  }

  popFront(): void {
    this.head = (this.head + 1) & this.mask;
    this.length--;
  }

  popBack(): void {
    this.length--;
  }

  /** Time of the k-th element from the front (0 = front). Caller guarantees k < length. */
  timeAt(k: number): number {
    return this.t[(this.head + k) & this.mask]!;
  }

  valueAt(k: number): number {
    return this.v[(this.head + k) & this.mask]!;
  }

  backTime(): number {
    return this.t[(this.head + this.length - 1) & this.mask]!;
  }

  backValue(): number {
    return this.v[(this.head + this.length - 1) & this.mask]!;
  }

  setBackValue(v: number): void {
    this.v[(this.head + this.length - 1) & this.mask] = v;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const t = new Float64Array(cap);
    const v = new Float64Array(cap);
    for (let k = 0; k < this.length; k++) {
      t[k] = this.timeAt(k);
      v[k] = this.valueAt(k);
    }
    this.t = t;
    this.v = v;
    this.head = 0;
    this.mask = cap - 1;
  }
}
