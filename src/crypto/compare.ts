// Constant-time comparison of two byte strings of possibly different lengths.
import { timingSafeEqual } from 'node:crypto';

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual needs equal lengths; comparing a against itself keeps the time independent of b.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
