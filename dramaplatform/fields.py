"""Serializer fields that refuse values of the wrong JSON type instead of coercing them."""

from __future__ import annotations

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"not_an_integer": "Must be an integer."}

    def to_internal_value(self, data: object) -> int:
        # Query strings carry text, JSON bodies must carry numbers.
        if isinstance(data, bool) or (isinstance(data, str) and not self.context.get("query")):
            self.fail("not_an_integer")
        return super().to_internal_value(data)
