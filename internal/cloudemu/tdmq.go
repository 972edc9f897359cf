package cloudemu

import (
	"strconv"
	"unicode/utf8"
)

const (
	maxMsgBytes    = 1 << 20 // CMQ's message size limit
	maxTagChars    = 64
	maxDelaySecond = 3600
)

// msgContent reads MsgContent: required, not empty, at most 1 MB.
func (c *call) msgContent() (string, *apiError) {
	body, ok, aerr := c.p.str("MsgContent")
	if aerr != nil {
		return "", aerr
	}
	if !ok {
		return "", errf("MissingParameter", "the request is missing the required parameter MsgContent")
	}
	if body == "" {
		return "", errf("InvalidParameterValue", "the parameter MsgContent must not be empty")
	}
	if len(body) > maxMsgBytes {
		return "", errf("InvalidParameterValue", "the parameter MsgContent is %d bytes, more than the limit of %d", len(body), maxMsgBytes)
	}
	return body, nil
}

func (c *call) requiredName(name string) (string, *apiError) {
	s, ok, aerr := c.p.str(name)
	if aerr != nil {
		return "", aerr
	}
	if !ok || s == "" {
		return "", errf("MissingParameter", "the request is missing the required parameter %s", name)
	}
	return s, nil
}

func (e *Emulator) newMsgID() string {
	// CMQ message ids are long decimal strings; an offset keeps them that shape.
	id := strconv.FormatInt(281474976710656+e.nextMsg, 10)
	e.nextMsg++
	return id
}

func (e *Emulator) sendCmqMsg(c *call) (any, *apiError) {
	queue, aerr := c.requiredName("QueueName")
	if aerr != nil {
		return nil, aerr
	}
	body, aerr := c.msgContent()
	if aerr != nil {
		return nil, aerr
	}
	delay, ok, aerr := c.p.int("DelaySeconds")
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, errf("MissingParameter", "the request is missing the required parameter DelaySeconds (0 for no delay)")
	}
	if delay < 0 || delay > maxDelaySecond {
		return nil, errf("InvalidParameterValue", "the parameter DelaySeconds must be between 0 and %d, got %d", maxDelaySecond, delay)
	}
	msgs, ok := e.queues[queue]
	if !ok {
		return nil, errf("ResourceNotFound", "the queue %s does not exist", queue)
	}
	id := e.newMsgID()
	e.queues[queue] = append(msgs, Message{ID: id, Body: body, DelaySeconds: delay, Time: c.now})
	return map[string]any{"Result": true, "MsgId": id}, nil
}

func (e *Emulator) publishCmqMsg(c *call) (any, *apiError) {
	topic, aerr := c.requiredName("TopicName")
	if aerr != nil {
		return nil, aerr
	}
	body, aerr := c.msgContent()
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.strs("MsgTag")
	if aerr != nil {
		return nil, aerr
	}
	for i, tag := range tags {
		if n := utf8.RuneCountInString(tag); n > maxTagChars || tag == "" {
			return nil, errf("InvalidParameterValue", "the tag MsgTag.%d must have 1 to %d characters, it has %d", i, maxTagChars, n)
		}
	}
	msgs, ok := e.topics[topic]
	if !ok {
		return nil, errf("ResourceNotFound", "the topic %s does not exist", topic)
	}
	id := e.newMsgID()
	e.topics[topic] = append(msgs, Message{ID: id, Body: body, Tags: tags, Time: c.now})
	return map[string]any{"Result": true, "MsgId": id}, nil
}
