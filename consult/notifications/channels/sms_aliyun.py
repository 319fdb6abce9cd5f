"""Alibaba Cloud SMS (dysmsapi, SendSms) through its official SDK. The request is signed
with the RPC signature (HMAC-SHA1 over the sorted parameters); SMS_ALIYUN_ENDPOINT and
SMS_ALIYUN_PROTOCOL point it elsewhere (a test server on 127.0.0.1)."""
from __future__ import annotations

import json

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from darabonba.runtime import RuntimeOptions

from . import PermanentError, TemporaryError
from .sms_templates import parameters, template_for

# Answers that mean "not now": throttled by the provider, or its own trouble.
TEMPORARY_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling", "Throttling.User",
                   "ServiceUnavailable", "InternalError"}


class AliyunSms:
    name = "sms"

    def __init__(self, config):
        self.config = config
        self.client = Client(openapi_models.Config(
            access_key_id=config["SMS_ALIYUN_ACCESS_KEY_ID"],
            access_key_secret=config["SMS_ALIYUN_ACCESS_KEY_SECRET"],
            endpoint=config["SMS_ALIYUN_ENDPOINT"],
            protocol=config["SMS_ALIYUN_PROTOCOL"],
            region_id=config["SMS_ALIYUN_REGION"],
            signature_algorithm="v2",
        ))
        self.runtime = RuntimeOptions(autoretry=False, connect_timeout=5000, read_timeout=10000, keep_alive=True)

    def send(self, message) -> str:
        template = template_for(self.config, message.kind)
        if not template:
            raise PermanentError(f"no SMS template for {message.kind}")
        request = sms_models.SendSmsRequest(
            phone_numbers=message.address.removeprefix("+86"),
            sign_name=self.config["SMS_SIGN_NAME"],
            template_code=template,
            template_param=json.dumps(parameters(message), ensure_ascii=False),
            out_id=message.dedupe_key,
        )
        try:
            response = self.client.send_sms_with_options(request, self.runtime)
        except ThrottlingException as error:
            raise TemporaryError(f"throttled: {error.code}", retry_after=_seconds(error.retry_after)) from error
        except ServerException as error:
            raise TemporaryError(f"{error.code}: {error.message}") from error
        except ClientException as error:
            if str(error.code) in TEMPORARY_CODES or str(error.code).startswith("Throttling"):
                raise TemporaryError(f"{error.code}: {error.message}") from error
            raise PermanentError(f"{error.code}: {error.message}") from error
        except Exception as error:   # network trouble, timeouts: the SDK's own kinds
            raise TemporaryError(f"{type(error).__name__}: {error}") from error
        body = response.body
        if body.code == "OK":
            return body.biz_id
        if body.code in TEMPORARY_CODES or (body.code or "").startswith("isp."):
            raise TemporaryError(f"{body.code}: {body.message}")
        raise PermanentError(f"{body.code}: {body.message}")


def _seconds(retry_after):
    try:
        return float(retry_after) / 1000 if retry_after else None
    except (TypeError, ValueError):
        return None
