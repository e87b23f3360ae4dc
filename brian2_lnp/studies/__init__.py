"""Studies: measurements that combine layers (they may import models), kept out of
the library layers so that pruning stays below models."""
