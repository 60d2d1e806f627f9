import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class KnowledgeItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    origin_city: str
    title: str
    summary: str
    language: str
    published_at: datetime
