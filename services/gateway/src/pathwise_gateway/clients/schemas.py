"""Bodies of ``/v1/clients``."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from pathwise_gateway.models import ApiClient
from pathwise_shared.inputs import StrictBody

__all__ = ["ClientCreate", "ClientCreated", "ClientOut"]

Scope = Annotated[str, Field(min_length=3, max_length=40)]


class ClientCreate(StrictBody):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1, max_length=20)


class ClientOut(BaseModel):
    client_id: str
    name: str
    district_id: uuid.UUID
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, client: ApiClient) -> "ClientOut":
        return cls(
            client_id=client.client_id,
            name=client.name,
            district_id=client.district_id,
            scopes=list(client.scopes),
            created_at=client.created_at,
            revoked_at=client.revoked_at,
        )


class ClientCreated(ClientOut):
    client_secret: str = Field(description="Shown once: only its hash is stored.")
