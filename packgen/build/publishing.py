"""A pack moved into place with its documents, and the note of what it was made from (the pack state)
that lets the next build leave it alone."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packgen.build.cache import DocumentCache, forget_pack_state, load_pack_state, save_pack_state
from packgen.build.making import Made, Produced, publish
from packgen.runtime.store import file_digest

if TYPE_CHECKING:
    from packgen.build.planning import PackPlan
    from packgen.pack.assemble import PackResult
    from packgen.records import evidence

PACK_NAME = "evidence-pack.pdf"


@dataclass(frozen=True)
class PackBuilt:
    """A pack as built. ``documents`` are its documents beside it: those this build wrote, and those
    unchanged since the last build, left where they were (none at all when ``up_to_date``: the pack
    and its documents were already as they would be made). Of all the pack's documents (the cover,
    register and readiness report too), ``made`` were rendered and converted and ``reused`` came from
    the cache or were left in place."""

    path: Path
    page_count: int
    documents: list[Produced]
    pupils: int
    providers: int
    made: int = 0
    reused: int = 0
    kept_pages: int = 0  # pages of unchanged documents taken from the pack built before (pack/earlier.py)
    up_to_date: bool = False
    findings: dict[str, int] = field(default_factory=dict)  # how many readiness findings of each severity
    left_out: list[evidence.BadEvidence] = field(default_factory=list)  # scans skipped by skip_bad_evidence


def as_last_built(out: Path, inputs: str) -> PackBuilt | None:
    """The pack in ``out`` if the last build made it from ``inputs`` and its files are as that build
    left them (see cache.load_pack_state); None if it is to be built."""
    state = load_pack_state(out, inputs)
    if state is None:
        return None
    return PackBuilt(
        out / PACK_NAME,
        state["page_count"],
        [],
        state["pupils"],
        state["providers"],
        reused=state["documents"],
        up_to_date=True,
        findings=state.get("findings", {}),
    )


def publish_pack(plan: PackPlan, batch: Made, stage: Path, pack: PackResult, inputs: str) -> PackBuilt:
    """Move the pack and its documents into place, and note what they were made from."""
    data, out = plan.data, plan.out
    made = {p.spec.stem: p for p in batch.produced}
    forget_pack_state(out)
    published = publish([made[s.stem] for s in plan.specs if s not in plan.pack_only], stage, out)
    os.replace(stage / PACK_NAME, out / PACK_NAME)
    save_pack_state(
        out,
        inputs,
        [out / PACK_NAME, *(f for p in published for f in (p.docx, p.pdf))],
        page_count=pack.page_count,
        pupils=len(data.pupils),
        providers=len(data.providers),
        documents=len(batch.produced),
        findings=plan.findings,
        keys={p.spec.stem: batch.keys[p.spec.stem] for p in published if p.spec.stem in batch.keys},
        # Where each document is in the pack, for the next build to take unchanged ones from; not in
        # an encrypted pack, which cannot be read without its password.
        pack_digest=file_digest(out / PACK_NAME),
        pages={}
        if plan.options.password
        else {
            p.spec.stem: [batch.keys[p.spec.stem], *pack.placed[p.pdf]]
            for p in batch.produced
            if p.spec.stem in batch.keys and p.pdf in pack.placed
        },
    )
    DocumentCache(out).prune(batch.keys.values())
    return PackBuilt(
        out / PACK_NAME,
        pack.page_count,
        published,
        len(data.pupils),
        len(data.providers),
        made=batch.made,
        reused=len(batch.produced) - batch.made,
        kept_pages=pack.kept,
        findings=plan.findings,
        left_out=plan.left_out,
    )
