"""The admin's page to start a drama from a premise: the script is written in the background,
by the same service as `POST /dramas` with a premise."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from dramas.serializers import PremiseInput
from generation import script_jobs


class PremiseForm(forms.Form):
    """The API's premise options; the API's serializer checks them, so both accept the same."""

    premise = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))
    genre = forms.CharField(required=False)
    tone = forms.CharField(required=False)
    episode_count = forms.IntegerField(initial=3, min_value=1)
    character_count = forms.IntegerField(initial=4, min_value=1)
    scenes_per_episode = forms.IntegerField(initial=3, min_value=1)

    def clean(self) -> dict:
        data = super().clean()
        checked = PremiseInput(data={k: v for k, v in data.items() if v not in (None, "")})
        if not checked.is_valid():
            for field, errors in checked.errors.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, str(error))
            return data
        return checked.validated_data


def premise_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("dramas.add_drama"):
        raise PermissionDenied
    form = PremiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        drama, job = script_jobs.drama_create_from_premise(
            owner=request.user, options=form.cleaned_data
        )
        messages.success(
            request, f"The script of “{drama.premise[:60]}” is being written ({job.public_id})."
        )
        return redirect(reverse("admin:dramas_drama_change", args=[drama.pk]))
    context = {
        **admin.site.each_context(request),
        "title": "A drama from a premise",
        "form": form,
        "opts": {"app_label": "dramas", "model_name": "drama"},
    }
    return render(request, "admin/drama_from_premise.html", context)


urlpatterns = [path("", admin.site.admin_view(premise_view), name="drama_from_premise")]
