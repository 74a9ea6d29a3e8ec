"""Who the caller is: the header the gateway sets, basic-auth user names, or nobody."""

import base64

import pytest

from mlcc_runtime.identity import Unauthenticated, caller, required_caller


def basic(user: str, password: str = "pw") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_plain_header_names_the_user():
    assert caller("X-Auth-Request-User", "alice") == "alice"


def test_basic_auth_user_name_is_decoded():
    assert caller("Authorization", basic("alice", "s:e:c")) == "alice"


@pytest.mark.parametrize("header", ["none", "", "NONE"])
def test_identity_off_ignores_any_header(header):
    assert caller(header, "mallory") is None


def test_missing_value_is_anonymous():
    assert caller("Authorization", None) is None


@pytest.mark.parametrize("value", ["Bearer abc", "Basic !!!", basic("../etc"), basic("a/b")])
def test_malformed_or_unsafe_identities_are_rejected(value):
    with pytest.raises(ValueError):
        caller("Authorization", value)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_file_requests_fail_closed_without_a_user(value):
    with pytest.raises(Unauthenticated, match="X-Auth-Request-User is missing or empty"):
        required_caller("X-Auth-Request-User", value)
    assert required_caller("none", value) is None  # identity off: box keys, anonymous outputs
    assert required_caller("X-Auth-Request-User", "alice") == "alice"
