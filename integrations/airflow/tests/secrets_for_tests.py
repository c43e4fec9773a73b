"""A secrets backend holding config values given in its kwargs: `[secrets] backend_kwargs = {"configs": {...}}`."""

from airflow.secrets import BaseSecretsBackend


class DictSecrets(BaseSecretsBackend):
    def __init__(self, configs=None, **kwargs):
        super().__init__(**kwargs)
        self.configs = configs or {}

    def get_config(self, key):
        return self.configs.get(key)
