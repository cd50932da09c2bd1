"""GPU slices of issue 20, registered as reproductions of their own (shipped specs, shared ``rhm-runs`` store):

* ``rhm-large-m-24-32``: ``rhm-large-m`` at m = 24 and 32, width 1024 (the converged width), P from P*/8192 to
  P*/2 (``P_in_units_of_Pstar``), 10 seeds;
* ``rhm-large-m-w2048``: the width check at m = 32, width 2048 on the same grid (against ``rhm-large-m-24-32``'s
  width-1024 runs);
* ``rhm-fig5-alphac``: seed Fig. 5 (L = 4) on the finer grid alpha = 0.5 ... 1.2 by 0.1, P to P* = 10^5, for
  alpha_c.

The analysis is the parent's (:class:`LargeM`, :class:`Fig5`); only the grids differ. They run as the step files
``benchmarks/gpu/steps/6N-*.sh`` (slices of at most 8 minutes on one H100, resumable) or one Slurm submission
(``python benchmarks/gpu/slurm_queue.py --only '6*' ...``).

>>> from scalinglab.validate import protocol
>>> sorted(n for n in protocol.available() if n.startswith(("rhm-large-m-", "rhm-fig5-")))
['rhm-fig5-alphac', 'rhm-large-m-24-32', 'rhm-large-m-w2048']
"""

from scalinglab.validate import protocol
from scalinglab.validate.rhm._seed_experiments import Fig5, LargeM

__all__ = ["LargeM2432", "LargeMWidth2048", "Fig5AlphaC"]


@protocol.experiment
class LargeM2432(LargeM):
    name = "rhm-large-m-24-32"
    description = "issue 20: the large-m study at m = 24, 32 (width 1024, P to P*/2, 10 seeds)"
    title = "Large m (issue 20): m = 24 and 32 at the converged width, P up to P*/2"


@protocol.experiment
class LargeMWidth2048(LargeM):
    name = "rhm-large-m-w2048"
    description = "issue 20: width check at m = 32 (2048 against rhm-large-m-24-32's 1024)"
    title = "Large m (issue 20): width 2048 at m = 32"


@protocol.experiment
class Fig5AlphaC(Fig5):
    name = "rhm-fig5-alphac"
    description = "issue 20: seed Fig. 5 (L = 4) on alpha = 0.5 ... 1.2 by 0.1, P to P* (alpha_c)"
    title = "Seed Fig. 5 on a finer alpha grid (issue 20): where the split accuracies flatten at L = 4"
