"""Partner API of the credit wallet, addressed by contract number:

- GET  /api/contracts/<number>/credit/          balance, switches and the latest entries
- POST /api/contracts/<number>/credit/top-up/   issue a top-up payment request

Errors have the shape {"code", "message", "details"} (`billing_portal.api`). A
top-up POST may carry an `Idempotency-Key` header: repeated with the same key, it
returns the payment request the first call issued (200 instead of 201).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import ApiErrorSerializer
from accounts.models import Contract

from . import selectors, services
from .models import LedgerEntry

ENTRIES_IN_ANSWER = 50
MAX_TOP_UP = Decimal("1000000")


class LedgerEntrySerializer(serializers.ModelSerializer):
    document = serializers.CharField(source="document.number", default=None)

    class Meta:
        model = LedgerEntry
        fields = ("id", "created_at", "kind", "amount", "balance_after", "document")


class WalletSerializer(serializers.Serializer):
    contract = serializers.CharField()
    currency = serializers.CharField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    active = serializers.BooleanField()
    auto_pay_by_credit = serializers.BooleanField()
    low_balance_threshold = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True
    )
    entries = LedgerEntrySerializer(many=True, help_text="The latest entries, newest first.")


class TopUpSerializer(serializers.Serializer):
    net_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("1.00"),
        max_value=MAX_TOP_UP,
        help_text="Credit to add, without VAT, in the wallet's currency.",
    )


class TopUpRequestSerializer(serializers.Serializer):
    number = serializers.CharField()
    variable_symbol = serializers.CharField()
    currency = serializers.CharField()
    total_net = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    due_date = serializers.DateField()
    iban = serializers.CharField(source="bank_account.iban", default=None)


def _contract(number: str) -> Contract:
    contract = Contract.objects.select_related("customer").filter(number=number).first()
    if contract is None:
        raise NotFound(_("No contract with this number exists."))
    return contract


class WalletView(APIView):
    @extend_schema(
        operation_id="contract_credit",
        summary="The contract customer's credit wallet",
        tags=["credit"],
        responses={
            200: WalletSerializer,
            404: OpenApiResponse(ApiErrorSerializer, description="No contract has this number."),
        },
    )
    def get(self, request: Request, number: str) -> Response:
        contract = _contract(number)
        customer = contract.customer
        wallet = selectors.wallet_or_empty(customer)
        data = {
            "contract": contract.number,
            "currency": wallet.currency,
            "balance": wallet.balance,
            "active": wallet.active,
            "auto_pay_by_credit": customer.auto_pay_by_credit,
            "low_balance_threshold": wallet.low_balance_threshold,
            "entries": selectors.recent_entries(wallet, ENTRIES_IN_ANSWER),
        }
        return Response(WalletSerializer(data).data)


class TopUpView(APIView):
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
            200: OpenApiResponse(TopUpRequestSerializer, description="Repeated key."),
            400: OpenApiResponse(ApiErrorSerializer, description="A wrong amount or header."),
            404: OpenApiResponse(ApiErrorSerializer, description="No contract has this number."),
        },
    )
    def post(self, request: Request, number: str) -> Response:
        contract = _contract(number)
        payload = TopUpSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise serializers.ValidationError(
                {"Idempotency-Key": [_("Use at most 100 characters.")]}
            )
        document, created = services.request_top_up_once(
            customer=contract.customer,
            contract=contract,
            net_amount=payload.validated_data["net_amount"],
            actor=request.user,
            idempotency_key=key,
        )
        return Response(
            TopUpRequestSerializer(document).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
