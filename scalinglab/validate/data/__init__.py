"""The theories on a researcher's own data: report folders of ``scalinglab predict`` and the real-data reproductions.

* :func:`write_report`: a report folder (report.md, summary.json, manifest.json, table.csv, figures/) for a
  result of :mod:`scalinglab.theory.data`;
* reproductions on data that ship inside packages (no download): ``data-digits`` (scikit-learn's digits:
  kernel learning curve predicted and measured, intrinsic dimension, a torch net against 4/d_ID) and
  ``data-wordfreq`` (wordfreq's frequency lists: Zipf exponents and the memoriser exponent).

>>> from scalinglab.validate import data
>>> callable(data.write_report)
True
"""

from scalinglab.validate.data._report import write_report, file_digest  # noqa: F401
from scalinglab.validate.data._examples import (  # noqa: F401
    digits,
    wordfreq_frequencies,
    wordfreq_sample,
    percolation_sizes,
    example_file,
    EXAMPLES,
)
from scalinglab.validate.data._experiments import (  # noqa: F401
    DigitsConfig,
    DigitsCell,
    digits_cell,
    WordfreqConfig,
    WordfreqCell,
    wordfreq_cell,
    PUBLISHED_LM_EXPONENTS,
)

__all__ = ["DigitsConfig", "DigitsCell", "digits_cell", "WordfreqConfig", "WordfreqCell", "wordfreq_cell",
           "PUBLISHED_LM_EXPONENTS", "write_report", "file_digest", "digits", "wordfreq_frequencies", "wordfreq_sample", "percolation_sizes",
           "example_file", "EXAMPLES"]
