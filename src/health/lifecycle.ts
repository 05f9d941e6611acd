// The service's place in its life, as readiness reports it (lightship's explicit states).
// 'starting': initObservability() is bringing the parts up; 'serving': normal;
// 'draining': shutdown has begun, so readiness turns 503 while liveness stays 200.

export type LifecycleState = 'starting' | 'serving' | 'draining';

let state: LifecycleState = 'serving';

export function lifecycleState(): LifecycleState {
  return state;
}

export function setLifecycleState(next: LifecycleState): void {
  state = next;
}
