"""API of accounts: whether a contract may get certificates issued or renewed.

Errors are rendered by `billing_portal.api.exception_handler` as
{"code", "message", "details"}: a blocked contract is the domain error
`ContractBlocked` (403, "contract_blocked") with the reasons, the date since when
and the expected unblock date; an unknown contract is 404 "not_found".
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Contract, ContractBlock
from .selectors import contract_blocking


class ContractEligibilitySerializer(serializers.Serializer):
    contract = serializers.CharField(help_text="The contract number.")
    blocked = serializers.BooleanField(help_text="Always false here: a block is a 403.")
    can_issue_certificates = serializers.BooleanField()


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code.")
    message = serializers.CharField(help_text="Translated message for people.")
    details = serializers.DictField(help_text="Machine-readable details of the error.")


class ContractBlockedDetailsSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=serializers.ChoiceField(ContractBlock.Reason.choices))
    since = serializers.DateField(help_text="The day the contract was first blocked.")
    expected_unblock_on = serializers.DateField(
        allow_null=True,
        help_text="When the contract will be unblocked; null while nothing is scheduled "
        "(an overdue document is still unpaid, or a manual or legal block).",
    )


class ContractBlockedErrorSerializer(ApiErrorSerializer):
    details = ContractBlockedDetailsSerializer()


class ContractEligibilityView(APIView):
    """GET /api/contracts/<number>/eligibility/"""

    @extend_schema(
        operation_id="contract_eligibility",
        summary="May the contract get certificates issued or renewed?",
        description=(
            "200 when the contract is not blocked. A blocked contract is answered with "
            '403 and the code "contract_blocked"; `details.expected_unblock_on` is the '
            "date it will be unblocked once every overdue document is paid."
        ),
        tags=["contracts"],
        responses={
            200: ContractEligibilitySerializer,
            403: OpenApiResponse(
                ContractBlockedErrorSerializer,
                description='The contract is blocked ("contract_blocked"); also '
                '"permission_denied" or "not_authenticated" for a caller without access.',
                examples=[
                    OpenApiExample(
                        "Blocked, unblock scheduled",
                        value={
                            "code": "contract_blocked",
                            "message": "The contract is blocked for non-payment; it will "
                            "be unblocked on 08.12.2026.",
                            "details": {
                                "reasons": ["overdue"],
                                "since": "2026-11-20",
                                "expected_unblock_on": "2026-12-08",
                            },
                        },
                    )
                ],
            ),
            404: OpenApiResponse(ApiErrorSerializer, description="No contract has this number."),
        },
    )
    def get(self, request: Request, number: str) -> Response:
        contract = Contract.objects.filter(number=number).first()
        if contract is None:
            raise NotFound(_("No contract with this number exists."))
        blocking = contract_blocking(contract)
        if blocking is not None:
            raise blocking.as_error()
        data = {"contract": contract.number, "blocked": False, "can_issue_certificates": True}
        return Response(ContractEligibilitySerializer(data).data)
