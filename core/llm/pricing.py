"""What an LLM's answers cost: a price per million input and output tokens (0 for a local model, whose cost is
its machine time), the cost of a run and per 1,000 decisions, and a budget a run must not exceed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prices:
    """Money per million tokens, in the payoff's currency; both 0 for a model that runs on our own machine."""

    input_per_million: float = 0.0
    output_per_million: float = 0.0

    def __post_init__(self) -> None:
        for name in ("input_per_million", "output_per_million"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value != value or value < 0:
                raise ValueError(f"{name} must be a price of 0 or more per million tokens, got {value!r}.")

    @property
    def free(self) -> bool:
        return self.input_per_million == 0 and self.output_per_million == 0

    def cost(self, tokens_in: float, tokens_out: float) -> float:
        """The price of `tokens_in` prompt and `tokens_out` answer tokens."""
        return (tokens_in * self.input_per_million + tokens_out * self.output_per_million) / 1e6


def per_thousand(total: float, decisions: int) -> float:
    """Cost per 1,000 decisions from a run's total over `decisions` answers (0 answers: 0)."""
    return 1000.0 * total / decisions if decisions else 0.0
