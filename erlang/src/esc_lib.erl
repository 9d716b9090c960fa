%% Small text and name conversions the agent's modules share (messages for the user, module names
%% as the user writes them, names from the adapter's requests).
-module(esc_lib).

-export([fmt/2, module_name/1, to_atom/1, to_bin/1]).

%% io_lib:format/2 as a UTF-8 binary: every message the agent sends is one.
-spec fmt(io:format(), [term()]) -> binary().
fmt(Format, Args) -> unicode:characters_to_binary(io_lib:format(Format, Args)).

%% A module's name as its source spells it: `Bank.Account` for 'Elixir.Bank.Account', `lists` for lists.
-spec module_name(module()) -> string().
module_name(M) ->
    case atom_to_list(M) of
        "Elixir." ++ Rest -> Rest;
        S -> S
    end.

%% A name the adapter sent (binary, string or atom) as an atom.
-spec to_atom(atom() | binary() | string()) -> atom().
to_atom(A) when is_atom(A) -> A;
to_atom(B) when is_binary(B) -> binary_to_atom(B, utf8);
to_atom(L) when is_list(L) -> list_to_atom(L).

%% Text (binary, chardata list or atom) as a UTF-8 binary; any other term printed as Erlang would.
-spec to_bin(term()) -> binary().
to_bin(B) when is_binary(B) -> B;
to_bin(L) when is_list(L) -> unicode:characters_to_binary(L);
to_bin(A) when is_atom(A) -> atom_to_binary(A, utf8);
to_bin(X) -> fmt("~0tp", [X]).
