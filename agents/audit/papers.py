"""The audit's table of papers and of search methods: what a paper contributes to an audit.

A paper enters the audit through one :class:`PaperAudit`: its config section (a dataclass the
command line groups under the paper), the settings it audits, and how each setting is built
(:class:`Setting`: its paired game, scripted strategies, exact optimum if one is known, search
budgets, theory). Search methods enter through :data:`SEARCHES`. Both are registries, so a third
paper or a new search is a few files plus one ``register_*`` call each, nothing edited here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.search.cmaes import SearchConfig
from agents.search.ppo import PPOConfig
from mdbf_envs.core.paired_engine import BatchPolicy, BatchStrategy, PairedGame
from mdbf_envs.registry import register_into


@dataclass(frozen=True)
class Setting:
    """One audited setting: a mechanism, the others' behaviour and the audited agent.

    ``exact`` is a strategy whose gain is the exact maximum over all reporting strategies
    (it may know the agent's own values, ``knows_values``), or None where none is known.
    ``control`` marks a negative control: truthful play is optimal, so the maximum gain is 0.
    ``ppo`` is None where the paper has no Gymnasium env to train on.
    """

    labels: dict[str, str]  # mechanism, others, agent
    game: Callable[[int], PairedGame]  # pairs -> a paired game
    strategies: dict[str, BatchStrategy]  # scripted, "truthful" first
    search: SearchConfig
    n_pairs: int
    exact: BatchStrategy | None = None
    control: bool = False
    ppo: PPOConfig | None = None
    env_id: str = ""
    env_kwargs: dict | None = None
    others: Any = None  # the other agents' batch strategy, for PPO's env (None: truthful)
    theory_bound: float | None = None
    theory_basis: str = ""

    def check(self) -> None:
        """Refuse budgets no audit can use, whatever paper built this setting: fewer than two
        pairs per row (no interval), an empty search, or a game of no rounds."""
        where = f"setting {self.labels}"
        if isinstance(self.n_pairs, bool) or not isinstance(self.n_pairs, int) or self.n_pairs < 2:
            raise ValueError(
                f"{where}: n_pairs = {self.n_pairs!r} must be an integer >= 2 (an interval needs two pairs)"
            )
        for name in ("episodes", "pairs", "final_pairs"):
            value = getattr(self.search, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{where}: search {name} = {value!r} must be an integer >= 1")
        game = self.game(2)
        if isinstance(game.horizon, bool) or not isinstance(game.horizon, int) or game.horizon < 1:
            raise ValueError(f"{where}: the game's horizon = {game.horizon!r} must be an integer >= 1")


class PaperAudit(ABC):
    """What one paper brings to the audit (module docstring)."""

    name: str
    section: type  # its config dataclass
    manipulator_args: tuple[str, ...] = ()  # the paper-specific GameArgs fields it reads

    def options(self, cfg: Any) -> Any:
        """This paper's section of an :class:`agents.audit.config.AuditConfig`: its own field if
        the config has one, else built from ``cfg.paper_options[name]``."""
        own = getattr(cfg, self.name, None)
        return own if own is not None else self.section(**(cfg.paper_options or {}).get(self.name, {}))

    def check(self, options: Any) -> None:  # noqa: B027  (optional: a paper without checks keeps this)
        """Refuse bad options before any work (a ValueError naming the option)."""

    @abstractmethod
    def settings(self, options: Any, cfg: Any) -> list[dict]:
        """The settings to audit, each as keyword arguments of :meth:`build` (picklable)."""

    @abstractmethod
    def build(self, options: Any, cfg: Any, **setting: Any) -> Setting:
        """One setting (built where it runs, e.g. in a worker process)."""

    def for_manipulator(self, args: Any) -> tuple[Any, dict]:
        """The options and setting of a manipulator CLI's arguments
        (:class:`agents.search.game.GameArgs`): ``(options, setting)`` for :meth:`build`."""
        raise NotImplementedError(f"paper {self.name!r} has no manipulator command line")

    def describe(self, options: Any) -> str:
        """One sentence for the report's header."""
        return ""


PAPERS: dict[str, PaperAudit] = {}
SearchMethod = Callable[[Setting, Any], BatchPolicy | None]
"""(setting, config) -> a learned batch policy, or None when the method does not apply."""
SEARCHES: dict[str, SearchMethod] = {}


def register_paper(paper: PaperAudit, *, overwrite: bool = False) -> None:
    """Make ``paper`` auditable as ``--papers <paper.name>``."""
    if not isinstance(paper, PaperAudit):
        raise TypeError(f"register_paper takes a PaperAudit, got {paper!r}")
    if not isinstance(getattr(paper, "name", None), str) or not paper.name.isidentifier():
        raise ValueError(f"paper name = {getattr(paper, 'name', None)!r} must be a non-empty identifier")
    if paper.name in PAPERS and not overwrite and type(PAPERS[paper.name]) is not type(paper):
        raise ValueError(f"paper {paper.name!r} is already registered; pass overwrite=True to replace it")
    PAPERS[paper.name] = paper


def register_search(name: str, method: SearchMethod, *, overwrite: bool = False) -> None:
    """Make ``method(setting, cfg) -> BatchPolicy | None`` a learned row of every setting."""
    register_into(SEARCHES, "search", name, method, overwrite)
