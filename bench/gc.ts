// A full garbage collection for benchmarks that report memory: exposes V8's gc() on demand.
import * as v8 from 'v8';
import * as vm from 'vm';

/** Returns a function that collects twice (the second pass frees what finalizers released). */
export function gcFn(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}
