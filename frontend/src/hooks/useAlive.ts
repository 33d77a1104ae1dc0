import { useEffect, useRef } from 'preact/hooks';

/**
 * False once the component has unmounted. The workspace is re-mounted for every user, and an answer
 * that arrives for the previous user must not land in the new one's state.
 */
export function useAlive(): { readonly current: boolean } {
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => void (alive.current = false);
  }, []);
  return alive;
}
