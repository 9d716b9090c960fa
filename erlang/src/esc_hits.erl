%% The exact bindings of the most recent breakpoint hits, for the Debug Console: what travels to the
%% adapter is a bounded capture, so a cut value or a local fun cannot be rebuilt from it; these can.
%%
%% Bounded: a ring of ?SLOTS hits (slot = event seq rem ?SLOTS, so a newer hit replaces the oldest),
%% and a hit whose bindings are larger than ?MAX_WORDS is not kept at all. At most ?SLOTS * ?MAX_WORDS
%% words (4 MB on a 64-bit node). The table belongs to the recording engine's controller (created in
%% its init), so it is dropped with the engine at cleanup; without a table keep/2 does nothing.
%% keep/2 runs in an encoder process, never in the traced one, and only for breakpoint hits.
-module(esc_hits).

-export([new/0, keep/2, lookup/1, slots/0, max_words/0]).

-define(T, esc_hits).
-define(SLOTS, 32).
-define(MAX_WORDS, 16384).

%% Creates the table, owned by the caller (the engine's controller); a table already there is kept.
-spec new() -> ok.
new() ->
    try ets:new(?T, [named_table, public, set, {read_concurrency, true}]), ok
    catch error:badarg -> ok
    end.

%% Keeps the bindings of hit event Seq ([{Name :: binary(), Value}]), when small enough.
-spec keep(pos_integer(), [{binary(), term()}]) -> ok.
keep(_Seq, []) -> ok;
keep(Seq, Bindings) ->
    case erts_debug:flat_size(Bindings) =< ?MAX_WORDS of
        true -> try ets:insert(?T, {Seq rem ?SLOTS, Seq, Bindings}), ok catch error:badarg -> ok end;
        false -> ok
    end.

%% The exact bindings of event Seq, if that hit is still kept.
-spec lookup(non_neg_integer()) -> {ok, [{binary(), term()}]} | none.
lookup(Seq) when is_integer(Seq), Seq > 0 ->
    try ets:lookup(?T, Seq rem ?SLOTS) of
        [{_, Seq, Bindings}] -> {ok, Bindings};
        _ -> none
    catch error:badarg -> none
    end;
lookup(_) -> none.

-spec slots() -> pos_integer().
slots() -> ?SLOTS.

-spec max_words() -> pos_integer().
max_words() -> ?MAX_WORDS.
