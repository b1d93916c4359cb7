"""Every knob of one mixture inference, validated once; the same object keys the result cache."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..errors import UsageError

DEFAULT_MERGES = 30_000  # the paper's cap; smaller tokenizers use all their merges
# The LP round budget of `tok infer-mixture` and of `tokforensics.infer_mixture`: None, the certified optimum. A
# budget (restricted-LP solves of lp.solve_auction) is opt-in: 4 rounds leave the bounds 0.1% apart on the default
# pack but alpha about 10% away (L1) from the optimum's (docs/mixture.md), so a budgeted answer is labelled
# APPROXIMATE, with both bounds, wherever it is shown.
DEFAULT_LP_ROUNDS: int | None = None
MAX_BOOTSTRAP = 1000

# Estimators. Each one is the LP of Hayase et al. (2024), solved to a certified optimum; they differ in the merges
# they trust and in how they treat sampling noise. (min_support, margin):
#   paper      every merge, as in the paper's code (a merge whose pair never occurs in any sample still says that
#              no competitor was ahead of it by more than its slack);
#   observed   merges whose own pair occurs at least once in the pooled samples;
#   supported  merges whose own pair occurs at least SUPPORT times: with samples 10^3-10^4 times smaller than the
#              paper's, a merge seen a handful of times is ranked by sampling noise, not by the mixture;
#   margin     observed merges, and a competitor must lead the merge by more than one Poisson standard deviation
#              of each count (c -/+ sqrt(c)) before its row costs slack (lp.with_margin).
SUPPORT = 20
ESTIMATORS: dict[str, tuple[int, float]] = {"paper": (0, 0.0), "observed": (1, 0.0), "supported": (SUPPORT, 0.0),
                                            "margin": (1, 1.0)}
DEFAULT_ESTIMATOR = "observed"


@dataclass(frozen=True)
class MixtureSettings:
    """merges None means min(DEFAULT_MERGES, merges available); see ESTIMATORS for `estimator`."""

    merges: int | None = None
    skip: int = 0
    estimator: str = DEFAULT_ESTIMATOR
    max_rounds: int | None = None  # outer LP rounds; None: solve to the certified optimum
    time_limit: float | None = None  # seconds for the LP; None: no limit
    bytes_per_category: int | None = None
    min_category_bytes: int | None = None  # None: 50,000 for shipped packs, 0 for a user directory
    seed: int = 0
    bootstrap: int = 0  # document-resampling replicates for confidence intervals (0: none)

    def __post_init__(self) -> None:
        def bad(param: str, value: object, want: str) -> UsageError:
            return UsageError(f"{param} must be {want} (got {value!r})")

        for name in ("merges", "max_rounds", "bytes_per_category"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise bad(name, value, "a positive integer")
        for name in ("skip", "seed", "bootstrap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(name, value, "an integer >= 0")
        if self.min_category_bytes is not None and (not isinstance(self.min_category_bytes, int)
                                                    or self.min_category_bytes < 0):
            raise bad("min_category_bytes", self.min_category_bytes, "an integer >= 0")
        if self.time_limit is not None and (not isinstance(self.time_limit, int | float)
                                            or not math.isfinite(self.time_limit) or self.time_limit <= 0):
            raise bad("time_limit", self.time_limit, "a positive number of seconds")
        if self.estimator not in ESTIMATORS:
            raise UsageError(f"unknown estimator {self.estimator!r}; choose one of {', '.join(ESTIMATORS)}")
        if self.bootstrap > MAX_BOOTSTRAP:
            raise bad("bootstrap", self.bootstrap, f"at most {MAX_BOOTSTRAP}")
        if self.bootstrap == 1:
            raise bad("bootstrap", self.bootstrap, "0 (no intervals) or at least 2 replicates")

    @property
    def min_support(self) -> int:
        return ESTIMATORS[self.estimator][0]

    @property
    def margin(self) -> float:
        return ESTIMATORS[self.estimator][1]

    @property
    def budgeted(self) -> bool:
        return self.max_rounds is not None or self.time_limit is not None

    def resolved(self, merges_available: int) -> MixtureSettings:
        """The settings with `merges` made concrete for a tokenizer with this many merges."""
        if merges_available < 1:
            raise UsageError("this tokenizer has no merges to replay")
        out = self
        if self.merges is None:
            out = dataclasses.replace(self, merges=min(DEFAULT_MERGES, merges_available))
        elif self.merges > merges_available:
            raise UsageError(f"merges={self.merges:,} is beyond the {merges_available:,} merges of this tokenizer; "
                             f"use {merges_available} or fewer (or leave it unset)")
        if out.skip >= out.merges:
            raise UsageError(f"skip={out.skip:,} leaves none of the {out.merges:,} merges to solve over")
        return out

    def cache_parts(self) -> dict:
        """What determines the result (the time limit too: a stopped solve is another answer)."""
        return dataclasses.asdict(self)
