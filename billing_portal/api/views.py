"""The partner API's views: read the contract by its number, call a selector or a
service, answer with a serializer. Errors are rendered by `exceptions.py`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import idempotency
from accounts.models import Contract
from accounts.selectors import contract_blocking
from credits import selectors as credit_selectors
from credits import services as credit_services

from .authentication import PartnerAPIView
from .serializers import (
    ApiErrorSerializer,
    ContractBlockedErrorSerializer,
    ContractEligibilitySerializer,
    TopUpRequestSerializer,
    TopUpSerializer,
    WalletSerializer,
)

ENTRIES_IN_ANSWER = 50
IDEMPOTENCY_KEY_MAX_LENGTH = 100

NOT_FOUND = OpenApiResponse(ApiErrorSerializer, description="No contract has this number.")


def _contract(number: str) -> Contract:
    contract = Contract.objects.select_related("customer").filter(number=number).first()
    if contract is None:
        raise NotFound(_("No contract with this number exists."))
    return contract


# --- contracts ---------------------------------------------------------------------------


class ContractEligibilityView(PartnerAPIView):
    """GET /api/contracts/<number>/eligibility/: 200, or the domain error
    `ContractBlocked` (403, "contract_blocked") with the reasons, the date since when
    and the expected unblock date; an unknown contract is 404 "not_found"."""

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
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, number: str) -> Response:
        contract = _contract(number)
        blocking = contract_blocking(contract)
        if blocking is not None:
            raise blocking.as_error()
        data = {"contract": contract.number, "blocked": False, "can_issue_certificates": True}
        return Response(ContractEligibilitySerializer(data).data)


# --- credit --------------------------------------------------------------------------------


class WalletView(PartnerAPIView):
    """GET /api/contracts/<number>/credit/: balance, switches and the latest entries."""

    @extend_schema(
        operation_id="contract_credit",
        summary="The contract customer's credit wallet",
        tags=["credit"],
        responses={200: WalletSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, number: str) -> Response:
        contract = _contract(number)
        customer = contract.customer
        wallet = credit_selectors.wallet_or_empty(customer)
        data = {
            "contract": contract.number,
            "currency": wallet.currency,
            "balance": wallet.balance,
            "active": wallet.active,
            "auto_pay_by_credit": customer.auto_pay_by_credit,
            "low_balance_threshold": wallet.low_balance_threshold,
            "entries": credit_selectors.recent_entries(wallet, ENTRIES_IN_ANSWER),
        }
        return Response(WalletSerializer(data).data)


class TopUpView(PartnerAPIView):
    """POST /api/contracts/<number>/credit/top-up/: issue a top-up payment request.

    An `Idempotency-Key` header makes a retried call safe: repeated with the same key
    and body, it answers what the first call answered (the same status and body,
    marked `Idempotent-Replayed: true`) and issues nothing; with another body it
    answers 422 `idempotency_key_reused` (`accounts.idempotency`).
    """

    @extend_schema(
        operation_id="contract_credit_top_up",
        summary="Issue a payment request that tops up the credit",
        description=(
            "The request is gross (with VAT) for customers who are not VAT payers and net "
            "for VAT payers; the net amount is credited when it is paid. Send an "
            "`Idempotency-Key` header to make a retried call safe."
        ),
        tags=["credit"],
        request=TopUpSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description=(
                    "Any string up to 100 characters; the same key returns the same request."
                ),
            )
        ],
        responses={
            201: TopUpRequestSerializer,
            422: OpenApiResponse(
                ApiErrorSerializer, description="The key was used with another body."
            ),
            400: OpenApiResponse(ApiErrorSerializer, description="A wrong amount or header."),
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, number: str) -> Response:
        contract = _contract(number)
        payload = TopUpSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise serializers.ValidationError(
                {"Idempotency-Key": [_("Use at most 100 characters.")]}
            )

        def top_up() -> tuple[int, dict]:
            document = credit_services.request_top_up(
                customer=contract.customer,
                contract=contract,
                net_amount=payload.validated_data["net_amount"],
                actor=request.user,
            )
            return status.HTTP_201_CREATED, TopUpRequestSerializer(document).data

        if not key:
            answer, body = top_up()
            return Response(body, status=answer)
        answer, body, replayed = idempotency.answer_once(
            scope=f"user:{request.user.pk}:credit-top-up",
            key=key,
            request_fingerprint=idempotency.fingerprint(number, request.data),
            produce=top_up,
        )
        response = Response(body, status=answer)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response
