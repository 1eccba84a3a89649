"""The vendored Common Core math files (MIT; see ``data/ccssm/LICENSE`` and ``NOTICE``)."""

from functools import cache
from importlib import resources

from pathwise_pathways.domain.frameworks import FrameworkData, parse_ccssm

__all__ = ["load_ccssm", "read_ccssm_file"]


def read_ccssm_file(name: str) -> str:
    return resources.files("pathwise_pathways").joinpath("data", "ccssm", name).read_text("utf-8")


@cache
def load_ccssm() -> FrameworkData:
    return parse_ccssm(
        read_ccssm_file("ccssm-k8.csv"),
        read_ccssm_file("ccssm-hs.csv"),
        read_ccssm_file("ccssm-dependencies.csv"),
    )
