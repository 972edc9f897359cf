package events

import (
	"encoding/json"
	"strconv"
)

// CKafkaEvent is what a CKafka trigger sends: 1 to maxMsgNum messages of one
// topic, each handled on its own.
type CKafkaEvent struct {
	Records []CKafkaRecord `json:"Records"`
}

type CKafkaRecord struct {
	Ckafka CKafkaMessage `json:"Ckafka"`
}

// CKafkaMessage is one Kafka message. It carries no timestamp and no
// headers: topic, partition and offset are all that identify it.
type CKafkaMessage struct {
	Topic     string `json:"topic"`
	Partition int64  `json:"partition"` // one document spells it Partition; Go's decoding matches either
	Offset    int64  `json:"offset"`
	MsgKey    string `json:"msgKey"`
	MsgBody   string `json:"msgBody"`
}

// Key identifies the message for idempotency: a message keeps its topic,
// partition and offset however often the trigger delivers it.
func (m *CKafkaMessage) Key() string {
	return "ckafka:" + m.Topic + ":" + strconv.FormatInt(m.Partition, 10) + ":" + strconv.FormatInt(m.Offset, 10)
}

// DecodeCKafka decodes a CKafka trigger's event. Its errors are
// failure.Invalid and name the field at fault.
func DecodeCKafka(payload []byte) (CKafkaEvent, error) {
	var ev CKafkaEvent
	if _, err := decodeObject(payload); err != nil {
		return ev, err
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return CKafkaEvent{}, decodeError("", err)
	}
	return ev, nil
}
