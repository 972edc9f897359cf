package events

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
