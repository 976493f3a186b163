"""Faults: switches that make the reference server break exactly one documented rule each.

Modules follow the catalog's areas. A fault is a Behaviour subclass registered with `@fault`:

    @fault(
    "auth-403",
    "AUTH-004", description="Refuses bad keys with 403.")
    class Auth403(Behaviour):
        auth_failure_status = 403
"""

from . import auth, errors, events, generated, hostile, params, responses, streams, validation
from ._registry import FAULTS, Fault, fault

# The area modules are imported for their side effect: their @fault decorators fill FAULTS.
__all__ = [
    "FAULTS",
    "Fault",
    "auth",
    "errors",
    "events",
    "fault",
    "generated",
    "hostile",
    "params",
    "responses",
    "streams",
    "validation",
]
