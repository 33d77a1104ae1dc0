"""Schemas of the custom resources the manifests use, for check_manifests.py.

Written from the operators' documented API references (not copied from their CRDs), in the format of
python3-kubernetes' models: type name -> {JSON field: (type, required)}. Types named V1... are the
Kubernetes core types the operators embed (resources, affinity, tolerations, object references) and are
checked against the Kubernetes schema. Only the documented fields listed here are accepted: a field
missing from this table is reported as unknown, so add it here (from the reference) before using it.

- RabbitMQ Cluster Operator, rabbitmq.com/v1beta1 RabbitmqCluster (API reference of cluster-operator).
- RabbitMQ Messaging Topology Operator, rabbitmq.com/v1beta1 User and Permission (its api/v1beta1 types).
- CloudNativePG, postgresql.cnpg.io/v1 Cluster (CloudNativePG API reference, ClusterSpec).
- Prometheus Operator, monitoring.coreos.com/v1 PodMonitor and PrometheusRule (its API reference).
"""

TYPES = {
    # --- rabbitmq.com/v1beta1 -------------------------------------------------------------------
    "RabbitmqCluster": {
        "apiVersion": ("str", True),
        "kind": ("str", True),
        "metadata": ("V1ObjectMeta", True),
        "spec": ("RabbitmqClusterSpec", False),
    },
    "RabbitmqClusterSpec": {
        "replicas": ("int", False),
        "image": ("str", False),
        "imagePullSecrets": ("list[V1LocalObjectReference]", False),
        "service": ("RabbitmqClusterServiceSpec", False),
        "persistence": ("RabbitmqClusterPersistenceSpec", False),
        "resources": ("V1ResourceRequirements", False),
        "affinity": ("V1Affinity", False),
        "tolerations": ("list[V1Toleration]", False),
        "rabbitmq": ("RabbitmqClusterConfigurationSpec", False),
        "terminationGracePeriodSeconds": ("int", False),
        "delayStartSeconds": ("int", False),
        "skipPostDeploySteps": ("bool", False),
        # Free-form StatefulSet/Service overrides, validated by the operator itself.
        "override": ("object", False),
    },
    "RabbitmqClusterServiceSpec": {
        "type": ("str", False),
        "annotations": ("dict(str, str)", False),
        "ipFamilyPolicy": ("str", False),
    },
    "RabbitmqClusterPersistenceSpec": {
        "storageClassName": ("str", False),
        "storage": ("str", False),
    },
    "RabbitmqClusterConfigurationSpec": {
        "additionalPlugins": ("list[str]", False),
        "additionalConfig": ("str", False),
        "advancedConfig": ("str", False),
        "envConfig": ("str", False),
        "erlangInetConfig": ("str", False),
    },
    # --- rabbitmq.com/v1beta1 of the Messaging Topology Operator (api/v1beta1 User, Permission) ------
    "RabbitmqUser": {
        "apiVersion": ("str", True),
        "kind": ("str", True),
        "metadata": ("V1ObjectMeta", True),
        "spec": ("RabbitmqUserSpec", True),
    },
    "RabbitmqUserSpec": {
        "tags": ("list[str]", False),
        "rabbitmqClusterReference": ("RabbitmqClusterReference", True),
        "importCredentialsSecret": ("V1LocalObjectReference", False),
        "limits": ("RabbitmqUserLimits", False),
    },
    "RabbitmqUserLimits": {
        "connections": ("int", False),
        "channels": ("int", False),
    },
    "RabbitmqPermission": {
        "apiVersion": ("str", True),
        "kind": ("str", True),
        "metadata": ("V1ObjectMeta", True),
        "spec": ("RabbitmqPermissionSpec", True),
    },
    "RabbitmqPermissionSpec": {
        "user": ("str", False),
        "userReference": ("V1LocalObjectReference", False),
        "vhost": ("str", True),
        "permissions": ("RabbitmqVhostPermissions", True),
        "rabbitmqClusterReference": ("RabbitmqClusterReference", True),
    },
    "RabbitmqVhostPermissions": {
        "configure": ("str", False),
        "write": ("str", False),
        "read": ("str", False),
    },
    "RabbitmqClusterReference": {
        "name": ("str", False),
        "namespace": ("str", False),
        "connectionSecret": ("V1LocalObjectReference", False),
    },
    # --- postgresql.cnpg.io/v1 ------------------------------------------------------------------
    "CnpgCluster": {
        "apiVersion": ("str", True),
        "kind": ("str", True),
        "metadata": ("V1ObjectMeta", True),
        "spec": ("CnpgClusterSpec", True),
    },
    "CnpgClusterSpec": {
        "description": ("str", False),
        "instances": ("int", True),
        "imageName": ("str", False),
        "minSyncReplicas": ("int", False),
        "maxSyncReplicas": ("int", False),
        "primaryUpdateStrategy": ("str", False),
        "primaryUpdateMethod": ("str", False),
        "enableSuperuserAccess": ("bool", False),
        "storage": ("CnpgStorageConfiguration", False),
        "walStorage": ("CnpgStorageConfiguration", False),
        "bootstrap": ("CnpgBootstrapConfiguration", False),
        "postgresql": ("CnpgPostgresConfiguration", False),
        "resources": ("V1ResourceRequirements", False),
        "affinity": ("CnpgAffinityConfiguration", False),
        "stopDelay": ("int", False),
        "switchoverDelay": ("int", False),
        "startDelay": ("int", False),
        "monitoring": ("CnpgMonitoringConfiguration", False),
    },
    "CnpgStorageConfiguration": {
        "size": ("str", False),
        "storageClass": ("str", False),
        "resizeInUseVolumes": ("bool", False),
    },
    "CnpgBootstrapConfiguration": {
        "initdb": ("CnpgBootstrapInitDB", False),
    },
    "CnpgBootstrapInitDB": {
        "database": ("str", False),
        "owner": ("str", False),
        "secret": ("CnpgLocalObjectReference", False),
        "encoding": ("str", False),
        "localeCollate": ("str", False),
        "localeCType": ("str", False),
        "dataChecksums": ("bool", False),
    },
    "CnpgLocalObjectReference": {
        "name": ("str", True),
    },
    "CnpgPostgresConfiguration": {
        "parameters": ("dict(str, str)", False),
        "pg_hba": ("list[str]", False),
    },
    "CnpgAffinityConfiguration": {
        "enablePodAntiAffinity": ("bool", False),
        "topologyKey": ("str", False),
        "podAntiAffinityType": ("str", False),
        "nodeSelector": ("dict(str, str)", False),
        "tolerations": ("list[V1Toleration]", False),
    },
    "CnpgMonitoringConfiguration": {
        "enablePodMonitor": ("bool", False),
    },
    # --- monitoring.coreos.com/v1 of the Prometheus Operator ---------------------------------------
    "PodMonitor": {
        "apiVersion": ("str", True),
        "kind": ("str", True),
        "metadata": ("V1ObjectMeta", True),
        "spec": ("PodMonitorSpec", True),
    },
    "PodMonitorSpec": {
        "jobLabel": ("str", False),
        "podTargetLabels": ("list[str]", False),
        "podMetricsEndpoints": ("list[PodMetricsEndpoint]", True),
        "selector": ("V1LabelSelector", True),
        "namespaceSelector": ("PrometheusNamespaceSelector", False),
        "sampleLimit": ("int", False),
        "targetLimit": ("int", False),
    },
    "PodMetricsEndpoint": {
        "port": ("str", False),
        "path": ("str", False),
        "scheme": ("str", False),
        "params": ("dict(str, list[str])", False),
        "interval": ("str", False),
        "scrapeTimeout": ("str", False),
        "honorLabels": ("bool", False),
        "honorTimestamps": ("bool", False),
        "relabelings": ("list[PrometheusRelabelConfig]", False),
        "metricRelabelings": ("list[PrometheusRelabelConfig]", False),
    },
    "PrometheusNamespaceSelector": {
        "any": ("bool", False),
        "matchNames": ("list[str]", False),
    },
    "PrometheusRelabelConfig": {
        "sourceLabels": ("list[str]", False),
        "separator": ("str", False),
        "targetLabel": ("str", False),
        "regex": ("str", False),
        "modulus": ("int", False),
        "replacement": ("str", False),
        "action": ("str", False),
    },
    "PrometheusRule": {
        "apiVersion": ("str", True),
        "kind": ("str", True),
        "metadata": ("V1ObjectMeta", True),
        "spec": ("PrometheusRuleSpec", True),
    },
    "PrometheusRuleSpec": {
        "groups": ("list[PrometheusRuleGroup]", False),
    },
    "PrometheusRuleGroup": {
        "name": ("str", True),
        "interval": ("str", False),
        "rules": ("list[PrometheusRuleRule]", True),
    },
    "PrometheusRuleRule": {
        "record": ("str", False),
        "alert": ("str", False),
        # IntOrString in the reference: a PromQL expression, or a bare number.
        "expr": ("object", True),
        "for": ("str", False),
        "labels": ("dict(str, str)", False),
        "annotations": ("dict(str, str)", False),
    },
}
