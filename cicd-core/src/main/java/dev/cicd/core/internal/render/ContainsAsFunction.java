package dev.cicd.core.internal.render;

import io.pebbletemplates.pebble.extension.Extension;
import io.pebbletemplates.pebble.extension.ExtensionCustomizer;
import io.pebbletemplates.pebble.operator.BinaryOperator;
import java.util.ArrayList;
import java.util.List;

/**
 * Drops Pebble's {@code contains} binary operator so that {@code contains(s, sub)} parses as a call of
 * confd's function (the lexer would otherwise read the name as the operator). The function covers the
 * operator's cases: substring, list element, map key.
 */
public final class ContainsAsFunction extends ExtensionCustomizer {

    public ContainsAsFunction(Extension delegate) {
        super(delegate);
    }

    @Override
    public List<BinaryOperator> getBinaryOperators() {
        List<BinaryOperator> ops = super.getBinaryOperators();
        if (ops == null) {
            return null;
        }
        List<BinaryOperator> kept = new ArrayList<>(ops.size());
        for (BinaryOperator op : ops) {
            if (!"contains".equals(op.getSymbol())) {
                kept.add(op);
            }
        }
        return kept;
    }
}
