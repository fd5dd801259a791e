"""The differences between OpenADR 3.1.0 and 3.0.1 that a VEN meets, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# 3.0.1 notifications name HTTP verbs; 3.1.0 names CRUD operations.
_OPERATIONS_301 = {"GET": "READ", "POST": "CREATE", "PUT": "UPDATE", "DELETE": "DELETE"}


@dataclass(frozen=True, slots=True)
class ApiVersion:
    """One OpenADR 3 version's paths and object shapes."""

    name: str

    @property
    def is_301(self) -> bool:
        """True for 3.0.1."""
        return self.name == "3.0.1"

    @property
    def discovers_token_url(self) -> bool:
        """3.1.0 publishes the token endpoint at `/auth/server`; 3.0.1 has `/auth/token`."""
        return not self.is_301

    def resources_path(self, ven_id: str) -> str:
        """Where a VEN's resources live."""
        return f"vens/{ven_id}/resources" if self.is_301 else "resources"

    def ven_request(self, ven_name: str, attributes: list[dict[str, Any]]) -> dict[str, Any]:
        """Body of `POST /vens` sent by the VEN itself."""
        body: dict[str, Any] = {"venName": ven_name}
        if attributes:
            body["attributes"] = attributes
        body["objectType"] = "VEN" if self.is_301 else "VEN_VEN_REQUEST"
        return body

    def resource_request(self, ven_id: str, resource_name: str) -> dict[str, Any]:
        """Body of the VEN's resource creation."""
        body: dict[str, Any] = {"resourceName": resource_name, "venID": ven_id}
        body["objectType"] = "RESOURCE" if self.is_301 else "VEN_RESOURCE_REQUEST"
        return body

    def report_body(self, report: dict[str, Any], program_id: str) -> dict[str, Any]:
        """A version-neutral report as sent: 3.0.1 requires `programID`, 3.1.0 has none."""
        body = dict(report)
        if self.is_301:
            body = {"programID": program_id, **body}
        return body

    def operation(self, name: str) -> str:
        """A notification's operation as CREATE / READ / UPDATE / DELETE."""
        upper = name.upper()
        return _OPERATIONS_301.get(upper, upper) if self.is_301 else upper

    def subscription_request(
        self, client_name: str, program_id: str, callback_url: str, bearer_token: str
    ) -> dict[str, Any]:
        """Body of `POST /subscriptions` for event and program changes (push, later)."""
        return {
            "clientName": client_name,
            "programID": program_id,
            "objectOperations": [
                {
                    "objects": ["EVENT", "PROGRAM"],
                    "operations": ["CREATE", "UPDATE", "DELETE"],
                    "callbackUrl": callback_url,
                    "bearerToken": bearer_token,
                }
            ],
        }


V3_1_0 = ApiVersion("3.1.0")
V3_0_1 = ApiVersion("3.0.1")
VERSIONS = {version.name: version for version in (V3_1_0, V3_0_1)}
