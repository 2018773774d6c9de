// okno.js: the browser client of okno's signalling protocol (docs/protocol.md). No dependencies.
//
// One OknoClient is one participant: a WebSocket, a publisher RTCPeerConnection (we offer) and a subscriber
// RTCPeerConnection (okno offers). It does not touch the DOM; pages listen to its events.
//
//   const c = new OknoClient('ws://host:8080/ws');
//   c.addEventListener('track', (e) => show(e.detail.participant, e.detail.stream));
//   await c.join({room: 'r1', role: 'kiosk', name: 'Kiosk 3'});
//   await c.publish(await navigator.mediaDevices.getUserMedia({audio: true, video: true}));
//
// Events (CustomEvent, data in e.detail): joined, participant_joined, participant_left, track_published,
// track_unpublished, track {participant, track, kind, stream, receiver}, quality, error, closed,
// ice_restart {pc}.
//
// A connection whose ICE state turns 'failed' (or stays 'disconnected' for 3 s, as after a network change)
// is restarted: the publisher with pc.restartIce() and a new publish, the subscriber with a `restart`
// request that makes okno send a new offer. okno keeps the seat meanwhile ([media] ice_restart_grace_s).

export class OknoClient extends EventTarget {
    constructor(url, options = {}) {
        super();
        this.url = url;
        this.rtcConfig = {iceServers: options.iceServers || [], bundlePolicy: 'max-bundle'};
        this.participant = null;
        this.participants = new Map();
        this._nextId = 1;
        this._pending = new Map();
        this._ws = null;
        this._pub = null;
        this._sub = null;
        this._subQueue = Promise.resolve();
        this._subCandidates = [];
        this._pubCandidates = [];
        this._pubAnswered = false;
        this._subOffers = 0; // subscriber offers being applied: candidates wait for them
        this._restarting = {publisher: null, subscriber: null};
        this._disconnectTimers = {publisher: 0, subscriber: 0};
    }

    // Restarts ICE when a connection fails, or stays disconnected for DISCONNECTED_RESTART_MS.
    _watchIce(pc, which) {
        pc.addEventListener('iceconnectionstatechange', () => {
            const state = pc.iceConnectionState;
            clearTimeout(this._disconnectTimers[which]);
            this._disconnectTimers[which] = 0;
            if (state === 'failed') {
                this._restartOne(which);
            } else if (state === 'disconnected') {
                this._disconnectTimers[which] = setTimeout(() => {
                    this._disconnectTimers[which] = 0;
                    if (pc.iceConnectionState === 'disconnected')
                        this._restartOne(which);
                }, OknoClient.DISCONNECTED_RESTART_MS);
            }
        });
    }

    _restartOne(which) {
        if (this._restarting[which])
            return this._restarting[which];
        const run = which === 'publisher' ? this._restartPublisher() : this._restartSubscriber();
        this._emit('ice_restart', {pc: which});
        this._restarting[which] = run
            .catch((e) => this._emit('error', {code: e.code || 'client', message: 'ICE restart: ' + e.message}))
            .finally(() => { this._restarting[which] = null; });
        return this._restarting[which];
    }

    async _restartPublisher() {
        if (!this._pub)
            return;
        this._pub.restartIce();
        await this._negotiatePublisher();
    }

    async _restartSubscriber() {
        if (!this._sub)
            return;
        await this._request({type: 'restart', pc: 'subscriber'});
    }

    // ICE restart of both connections (the automatic one restarts only the connection that failed).
    // Resolves once okno has answered the publisher's new offer and acknowledged the subscriber restart.
    async restartIce() {
        await Promise.all([this._restartOne('publisher'), this._restartOne('subscriber')]);
    }

    // Offers the publisher connection's current state to okno and applies its answer. Candidates okno
    // trickles meanwhile belong to the new answer's ICE generation: they wait for it.
    async _negotiatePublisher() {
        const offer = await this._pub.createOffer();
        await this._pub.setLocalDescription(offer);
        this._pubAnswered = false;
        const reply = await this._request({type: 'publish', sdp: this._pub.localDescription.sdp});
        await this._pub.setRemoteDescription({type: 'answer', sdp: reply.sdp});
        this._pubAnswered = true;
        for (const c of this._pubCandidates.splice(0))
            await this._pub.addIceCandidate(c).catch(() => {});
        return reply;
    }

    _emit(type, detail) {
        this.dispatchEvent(new CustomEvent(type, {detail}));
    }

    _open() {
        if (this._ws)
            return this._wsReady;
        this._ws = new WebSocket(this.url);
        this._wsReady = new Promise((resolve, reject) => {
            this._ws.onopen = () => resolve();
            this._ws.onerror = () => reject(new Error('cannot connect to ' + this.url));
        });
        this._ws.onmessage = (e) => this._onMessage(e.data);
        this._ws.onclose = (e) => {
            for (const {reject} of this._pending.values())
                reject(new Error('connection closed'));
            this._pending.clear();
            this._emit('closed', {code: e.code, reason: e.reason});
        };
        return this._wsReady;
    }

    _send(msg) {
        this._ws.send(JSON.stringify(msg));
    }

    _request(msg) {
        const id = this._nextId++;
        return new Promise((resolve, reject) => {
            this._pending.set(id, {resolve, reject});
            this._send({...msg, id});
        });
    }

    async join({room, role, name, token}) {
        await this._open();
        const msg = {type: 'join', room, role, name};
        if (token)
            msg.token = token;
        const joined = await this._request(msg);
        this.participant = joined.participant;
        for (const p of joined.participants)
            this.participants.set(p.participant, p);
        this._emit('joined', joined);
        return joined;
    }

    // Publishes the tracks of a MediaStream. simulcast: an array of encodings for video (with rid), or
    // true for three layers (q, h, f).
    async publish(stream, {simulcast = false} = {}) {
        if (!this._pub) {
            this._pub = new RTCPeerConnection(this.rtcConfig);
            this._pub.onicecandidate = (e) =>
                this._send({type: 'candidate', pc: 'publisher', candidate: e.candidate ? e.candidate.toJSON() : null});
            this._watchIce(this._pub, 'publisher');
        }
        for (const track of stream.getTracks()) {
            const init = {direction: 'sendonly', streams: [stream]};
            if (track.kind === 'video' && simulcast) {
                init.sendEncodings = Array.isArray(simulcast) ? simulcast : [
                    {rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000},
                    {rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000},
                    {rid: 'f', maxBitrate: 1500000},
                ];
            }
            this._pub.addTransceiver(track, init);
        }
        return this._negotiatePublisher();
    }

    // Asks okno to send this client at most kbps (0: no limit): simulcast videos step down to an
    // encoding that fits (a small tile, a metered link). Resolves with okno's ack.
    receiveLimit(kbps) {
        return this._request({type: 'receive_limit', kbps});
    }

    async leave() {
        if (this._ws && this._ws.readyState === WebSocket.OPEN)
            this._send({type: 'leave'});
        this.close();
    }

    close() {
        clearTimeout(this._disconnectTimers.publisher);
        clearTimeout(this._disconnectTimers.subscriber);
        for (const pc of [this._pub, this._sub])
            if (pc)
                pc.close();
        this._pub = this._sub = null;
        if (this._ws)
            this._ws.close();
    }

    // Both connections' getStats(), for pages that report quality.
    async getStats() {
        return {
            publisher: this._pub ? await this._pub.getStats() : null,
            subscriber: this._sub ? await this._sub.getStats() : null,
        };
    }

    _onMessage(text) {
        let msg;
        try {
            msg = JSON.parse(text);
        } catch (e) {
            this._emit('error', {code: 'bad_json', message: 'server sent invalid JSON'});
            return;
        }
        if (msg.id !== undefined && this._pending.has(msg.id)) {
            const {resolve, reject} = this._pending.get(msg.id);
            this._pending.delete(msg.id);
            if (msg.type === 'error') {
                const err = new Error(msg.message);
                err.code = msg.code;
                reject(err);
            } else {
                resolve(msg);
            }
            return;
        }
        switch (msg.type) {
        case 'offer':
            this._subOffers++;
            this._subQueue = this._subQueue.then(() => this._onSubscriberOffer(msg.sdp))
                .catch((e) => this._emit('error', {code: 'client', message: String(e)}))
                .finally(() => {
                    if (--this._subOffers === 0 && this._sub)
                        for (const c of this._subCandidates.splice(0))
                            this._sub.addIceCandidate(c).catch(() => {});
                });
            break;
        case 'candidate':
            this._onRemoteCandidate(msg.pc, msg.candidate);
            break;
        case 'participant_joined':
            this.participants.set(msg.participant, {...msg, tracks: []});
            this._emit(msg.type, msg);
            break;
        case 'participant_left':
            this.participants.delete(msg.participant);
            this._emit(msg.type, msg);
            break;
        default:
            this._emit(msg.type, msg);
        }
    }

    async _onSubscriberOffer(sdp) {
        if (!this._sub) {
            this._sub = new RTCPeerConnection(this.rtcConfig);
            this._sub.onicecandidate = (e) =>
                this._send({type: 'candidate', pc: 'subscriber', candidate: e.candidate ? e.candidate.toJSON() : null});
            this._sub.ontrack = (e) => {
                const stream = e.streams[0];
                this._emit('track', {
                    participant: stream ? stream.id : null,
                    track: e.track.id,
                    kind: e.track.kind,
                    stream,
                    receiver: e.receiver,
                });
            };
            this._watchIce(this._sub, 'subscriber');
        }
        await this._sub.setRemoteDescription({type: 'offer', sdp});
        const answer = await this._sub.createAnswer();
        await this._sub.setLocalDescription(answer);
        this._send({type: 'answer', pc: 'subscriber', sdp: this._sub.localDescription.sdp});
    }

    _onRemoteCandidate(pc, candidate) {
        const c = candidate || {candidate: ''};
        if (pc === 'publisher') {
            if (this._pub && this._pubAnswered)
                this._pub.addIceCandidate(c).catch(() => {});
            else
                this._pubCandidates.push(c);
        } else if (pc === 'subscriber') {
            if (this._sub && this._sub.remoteDescription && this._subOffers === 0)
                this._sub.addIceCandidate(c).catch(() => {});
            else
                this._subCandidates.push(c);
        }
    }
}

OknoClient.DISCONNECTED_RESTART_MS = 3000;
