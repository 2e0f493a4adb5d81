// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title ERC-721 whose first owner is read from the registry's own record
/// @notice A registry's record already stores who minted a token (a dataset's publisher, a model's registrant),
/// so minting writes no owner slot: {_ownerOf} falls back to that record until the first transfer writes
/// OpenZeppelin's owner slot. It is the pattern of OpenZeppelin's ERC721Consecutive (a batch's owner is read
/// until a token's first transfer) and saves a fresh storage slot, about 22,000 gas, per mint.
/// @dev Only for tokens that are never burned (the registries have no burn path, and OpenZeppelin's transfers
/// refuse the zero address): a burned token's owner slot would be zero again and its first owner show through.
abstract contract FirstOwnerERC721 is ERC721 {
    /// @dev Who minted `tokenId`, from the registry's record; zero for an id never minted.
    function _firstOwner(uint256 tokenId) internal view virtual returns (address);

    /// @dev Mints `tokenId` to `to`, which {_firstOwner} must already return for it (the record is written
    /// first): a balance and the Transfer event, no owner slot. The id must be new, as the registries' counters
    /// make it; `to` is the caller, never zero.
    function _mintToFirstOwner(address to, uint256 tokenId) internal {
        _increaseBalance(to, 1);
        emit Transfer(address(0), to, tokenId);
    }

    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        address owner = super._ownerOf(tokenId);
        return owner != address(0) ? owner : _firstOwner(tokenId);
    }
}
