%% Shared by the esc_trace* modules: indexes into the engine's counters (one atomics array).
-define(C_IN, 1).            % trace messages received by the tracer
-define(C_DROPPED, 2).       % events lost (tracer shedding, full encoder or sink queues), total
-define(C_DROP_PENDING, 3).  % events lost since the last batch reported them (EventBatch.dropped)
-define(C_SEQ, 4).           % last sequence number handed out
-define(C_OVERLOAD, 5).      % 1 when the tracer shed messages since the controller last looked
-define(C_MBOX_PEAK, 6).     % longest agent mailbox seen since the last Stats
-define(C_ENCODED, 7).       % events encoded and handed to the sink
-define(C_SINK_FULL, 8).     % 1 when the sink refused a batch since the controller last looked
-define(C_SIZE, 8).
