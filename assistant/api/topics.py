"""The topic taxonomy (``assistant/pipeline/lexicon/topics_fr.yaml``): what the panel offers to
correct the topic the server inferred for a draft."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from assistant.auth import AgentAccess
from assistant.pipeline.topics import taxonomy

router = APIRouter(tags=["drafts"])


class TopicPublic(BaseModel):
    id: str
    label: str


class TopicList(BaseModel):
    topics: list[TopicPublic]
    fallback: str


@router.get("/topics", summary="The topics a draft can be filed under (ids and French labels). Roles: agent.")
def list_topics(_: AgentAccess) -> TopicList:
    tax = taxonomy()
    return TopicList(topics=[TopicPublic(**t) for t in tax.listing()], fallback=tax.fallback)
