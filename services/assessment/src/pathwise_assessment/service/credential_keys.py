"""The districts' credential-signing keys behind one interface, :class:`KeyStore`.

The embedded default, :class:`DatabaseKeyStore`, makes an Ed25519 key for a district on its
first issue and keeps it in this service's database (``issuer_keys``): insert or read, so two
first issues at once agree on one key. A production deployment plugs in a KMS (a cloud KMS or an
HSM holding an Ed25519 or P-256 key per district) by implementing the same three methods: ``sign``
then asks the KMS to sign the JWS signing input and the private half never leaves it; the table
keeps only the key's reference (``kid``) and public half. ``credentials.keystore`` below is the
one place that chooses the store.
"""

import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import credentials as vc
from pathwise_assessment.repository import credentials as repo
from pathwise_shared.timeutil import utcnow

__all__ = ["DatabaseKeyStore", "IssuerKeyView", "KeyStore"]


@dataclass(frozen=True)
class IssuerKeyView:
    """A district's key as a verifier needs it (never the private half)."""

    district_id: uuid.UUID
    kid: str
    public_key: bytes

    def jwk(self) -> dict[str, str]:
        return vc.public_jwk(self.public_key, self.kid)


class KeyStore(Protocol):
    async def signing_key(self, session: AsyncSession, district_id: uuid.UUID) -> IssuerKeyView:
        """The district's key, made on first use."""
        ...

    async def sign(self, session: AsyncSession, key: IssuerKeyView, data: bytes) -> bytes:
        """An EdDSA signature of ``data`` with ``key``."""
        ...

    async def public_key(
        self, session: AsyncSession, *, district_id: uuid.UUID | None = None, kid: str | None = None
    ) -> IssuerKeyView | None:
        """A district's key (by district or by ``kid``), None when it has none."""
        ...


class DatabaseKeyStore:
    """Keys in the service's own database (development, tests and small deployments)."""

    async def signing_key(self, session: AsyncSession, district_id: uuid.UUID) -> IssuerKeyView:
        found = await self.public_key(session, district_id=district_id)
        if found is not None:
            return found
        seed, public = vc.new_key_pair()
        await repo.insert_key_if_absent(
            session,
            {
                "district_id": district_id,
                "kid": f"{district_id}#{uuid.uuid4()}",
                "algorithm": vc.ALGORITHM,
                "public_key": vc.b64url(public),
                "private_key": vc.b64url(seed),
                "created_at": utcnow(),
            },
        )
        stored = await self.public_key(session, district_id=district_id)
        if stored is None:  # pragma: no cover - the insert or the other writer's row is there
            raise RuntimeError("the district's signing key was neither inserted nor found")
        return stored

    async def sign(self, session: AsyncSession, key: IssuerKeyView, data: bytes) -> bytes:
        row = await repo.key_of(session, key.district_id)
        if row is None or row.kid != key.kid:
            raise RuntimeError("the signing key is not this district's key")
        return vc.sign(vc.b64url_decode(row.private_key), data)

    async def public_key(
        self, session: AsyncSession, *, district_id: uuid.UUID | None = None, kid: str | None = None
    ) -> IssuerKeyView | None:
        if district_id is not None:
            row = await repo.key_of(session, district_id)
        elif kid is not None:
            row = await repo.key_by_kid(session, kid)
        else:
            return None
        if row is None:
            return None
        return IssuerKeyView(row.district_id, row.kid, vc.b64url_decode(row.public_key))
