"""Who may call the partner API: for now staff only, with their admin session.

Partners get their own credentials with the partner API; until then a staff
session is the one way in (CSRF is enforced on unsafe methods, as for any session),
so a portal password never opens the API: a non-staff user is answered 403
"permission_denied", an anonymous caller 403 "not_authenticated". Every view of the
API is a `PartnerAPIView`; the schema and docs views serve the schema to anybody.
"""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.views import APIView

AUTHENTICATION_CLASSES = (SessionAuthentication,)
PERMISSION_CLASSES = (IsAdminUser,)


class PartnerAPIView(APIView):
    """The base of the API's views: staff sessions only (see above)."""

    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = PERMISSION_CLASSES
