"""Tencent Cloud SMS (SendSms, API 2021-01-11) through its official SDK, signed with
TC3-HMAC-SHA256; SMS_TENCENT_ENDPOINT and SMS_TENCENT_PROTOCOL point it elsewhere (a
test server on 127.0.0.1)."""
from __future__ import annotations

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from . import PermanentError, TemporaryError
from .sms_templates import parameters, template_for


def _temporary(code: str) -> bool:
    return (code.startswith(("RequestLimitExceeded", "LimitExceeded", "InternalError", "ResourceUnavailable"))
            or code in {"ClientNetworkError", "ServerNetworkError", "FailedOperation.FailResolvePacket"})


class TencentSms:
    name = "sms"

    def __init__(self, config):
        self.config = config
        # keepAlive: one connection per sending thread, reused for every message it sends
        http = HttpProfile(protocol=config["SMS_TENCENT_PROTOCOL"], endpoint=config["SMS_TENCENT_ENDPOINT"],
                           reqTimeout=10, keepAlive=True)
        self.client = sms_client.SmsClient(
            credential.Credential(config["SMS_TENCENT_SECRET_ID"], config["SMS_TENCENT_SECRET_KEY"]),
            config["SMS_TENCENT_REGION"], ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http))

    def send(self, message) -> str:
        template = template_for(self.config, message.kind)
        if not template:
            raise PermanentError(f"no SMS template for {message.kind}")
        number = message.address if message.address.startswith("+") else "+86" + message.address
        values = parameters(message)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [number]
        request.SmsSdkAppId = self.config["SMS_TENCENT_APP_ID"]
        request.SignName = self.config["SMS_SIGN_NAME"]
        request.TemplateId = template
        request.TemplateParamSet = [values["code"]] if "code" in values else [values["title"], values["link"]]
        request.SessionContext = message.dedupe_key
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or ""
            if _temporary(code):
                raise TemporaryError(f"{code}: {error.get_message()}") from error
            raise PermanentError(f"{code}: {error.get_message()}") from error
        except Exception as error:
            raise TemporaryError(f"{type(error).__name__}: {error}") from error
        status = response.SendStatusSet[0]
        if status.Code == "Ok":
            return status.SerialNo
        if _temporary(status.Code or ""):
            raise TemporaryError(f"{status.Code}: {status.Message}")
        raise PermanentError(f"{status.Code}: {status.Message}")
