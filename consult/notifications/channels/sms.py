"""Text messages (SMS) through one provider, Alibaba Cloud or Tencent Cloud, chosen by
SMS_PROVIDER. Providers in China send only approved templates: each kind of message has
its own template (SMS_TEMPLATES), which carries parameters and a short link, never the
text people wrote. A kind without a template is not sent by SMS."""
from __future__ import annotations

from typing import Optional


def provider_name(config) -> Optional[str]:
    """The configured provider, or None when SMS is off (no provider or no credentials)."""
    provider = config.get("SMS_PROVIDER")
    if provider == "aliyun" and config.get("SMS_ALIYUN_ACCESS_KEY_ID") and config.get("SMS_ALIYUN_ACCESS_KEY_SECRET"):
        return provider
    if provider == "tencent" and config.get("SMS_TENCENT_SECRET_ID") and config.get("SMS_TENCENT_SECRET_KEY") \
            and config.get("SMS_TENCENT_APP_ID"):
        return provider
    return None


def sms_channel(config):
    provider = provider_name(config)
    if provider == "aliyun":
        from .sms_aliyun import AliyunSms

        return AliyunSms(config)
    if provider == "tencent":
        from .sms_tencent import TencentSms

        return TencentSms(config)
    raise LookupError("SMS is not configured")
