/* kafka.h — the librdkafka properties every Watchfloor Kafka client shares.
 *
 * The transport's producer and consumers, and wf-admin replay's own clients, connect with the
 * same brokers, security settings and kafka.properties pass-through; this is the one place
 * that turns the configuration into librdkafka properties. Services never include it: they
 * see only transport.h.
 */
#ifndef WF_KAFKA_H
#define WF_KAFKA_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include <wf/config.h>

/* A new librdkafka configuration with bootstrap.servers, security.protocol, the TLS and SASL
 * keys and every kafka.properties item set. The caller owns it (rd_kafka_new takes it).
 * Returns NULL with a reason in errbuf (kafka.brokers empty, a property librdkafka refuses). */
rd_kafka_conf_t *wf_kafka_base_conf(const wf_config_t *config, char *errbuf, size_t errlen);

#endif
